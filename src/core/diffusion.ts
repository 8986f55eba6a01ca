import { GreenprintError } from './errors.js';
import { EXTRAPOLATION_WIDENING, resolveGpu } from './hardware.js';
import type { Coefficients, DiffusionFit, HardwareRecord, ModelRecord } from './reference.js';

export interface DiffusionEnergyInput {
  /** Denoiser energy per image (or video frame) per step at native resolution on H100, J. */
  stepEnergyJ: number;
  fit: DiffusionFit;
  /** Images, or frames for video. */
  units: number;
  width: number;
  height: number;
  nativeWidth: number;
  nativeHeight: number;
  steps: number;
  batchSize: number;
}

/**
 * GPU energy of a diffusion request, J, fitted on ML.ENERGY v2 diffusion rows:
 * `steps · (units · s_m · g_gpu · pixels/native_pixels + o_gpu / B)` — denoiser work that scales
 * with output pixels and steps, plus a per-step overhead that the batch shares.
 */
export function diffusionGpuEnergyJ(i: DiffusionEnergyInput): number {
  const pixelRatio = (i.width * i.height) / (i.nativeWidth * i.nativeHeight);
  return (
    i.steps *
    (i.units * i.stepEnergyJ * i.fit.gpuFactor * pixelRatio + i.fit.batchOverheadJPerStep / i.batchSize)
  );
}

/**
 * Step energy of a diffusion model: the fitted per-model value where ML.ENERGY measured it, else
 * the size fit `exp(a + b·ln(P·latent_pixels·cfg))` over the measured models (wide band).
 */
export function diffusionStepEnergyJ(
  coefficients: Coefficients,
  model: ModelRecord,
  paramsB: number,
): { stepEnergyJ: number; fromSizeFit: boolean } {
  const measured = coefficients.diffusionModels[model.id];
  if (measured !== undefined) return { stepEnergyJ: measured, fromSizeFit: false };
  const media = model.media;
  const size = diffusionSizeIndex(
    paramsB,
    media?.nativeWidth ?? 1024,
    media?.nativeHeight ?? 1024,
    media?.guidance ?? true,
  );
  const { logIntercept, slope } = coefficients.diffusionSizeFit;
  return { stepEnergyJ: Math.exp(logIntercept + slope * Math.log(size)), fromSizeFit: true };
}

/** Parameters (B) × latent pixels (÷64 for the 8× VAE) × 2 with classifier-free guidance. */
export function diffusionSizeIndex(
  paramsB: number,
  width: number,
  height: number,
  guidance: boolean,
): number {
  return paramsB * ((width * height) / 64) * (guidance ? 2 : 1);
}

/**
 * The diffusion fit for a GPU: measured, or the closest measured GPU's (FP8-capable → H100, otherwise
 * A100-40GB) scaled by W per FLOP/s for the denoiser and by W for the batch overhead, band widened.
 */
export function diffusionFitFor(
  fits: DiffusionFit[],
  hardware: HardwareRecord[],
  gpu: HardwareRecord,
): { fit: DiffusionFit; extrapolatedFrom?: string } {
  const own = fits.find((f) => f.gpu === gpu.id);
  if (own) return { fit: own };
  const base = fits.find((f) => f.gpu === (gpu.fp8Tflops ? 'H100' : 'A100-40GB')) ?? fits[0];
  if (!base) throw new GreenprintError('invalid_reference_data', 'No diffusion coefficients are loaded.');
  const b = resolveGpu(hardware, base.gpu);
  return {
    fit: {
      ...base,
      gpu: gpu.id,
      gpuFactor: base.gpuFactor * (gpu.tdpW / gpu.bf16Tflops / (b.tdpW / b.bf16Tflops)),
      batchOverheadJPerStep: base.batchOverheadJPerStep * (gpu.tdpW / b.tdpW),
      band: {
        low: base.band.low * EXTRAPOLATION_WIDENING.low,
        high: base.band.high * EXTRAPOLATION_WIDENING.high,
      },
    },
    extrapolatedFrom: base.gpu,
  };
}
