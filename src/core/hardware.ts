import { GreenprintError } from './errors.js';
import type { Precision } from './event.js';
import type { HardwareRecord, TextFit } from './reference.js';

/** Bytes per weight at each precision; int4 covers int4 and mxfp4 (4-bit weights). */
export const BYTES_PER_PARAM: Record<Precision, number> = { bf16: 2, fp8: 1, int4: 0.5 };

/** Serving memory overhead over raw weights (KV cache, activations), as in EcoLogits. */
export const MEMORY_OVERHEAD = 1.2;

export function weightsGB(totalParamsB: number, precision: Precision): number {
  return totalParamsB * BYTES_PER_PARAM[precision];
}

/**
 * GPUs needed to hold the model: the next power of two of ⌈1.2 · weights / GPU memory⌉
 * (tensor-parallel groups are powers of two). fp8 weights need half the GPUs of bf16.
 */
export function gpuCountForModel(totalParamsB: number, precision: Precision, gpu: HardwareRecord): number {
  const needed = Math.ceil((MEMORY_OVERHEAD * weightsGB(totalParamsB, precision)) / gpu.memoryGB);
  return 2 ** Math.ceil(Math.log2(Math.max(1, needed)));
}

/**
 * Compute energy per FLOP relative to bf16. FP8 tensor cores do twice the FLOPs in the same power
 * on Hopper and Blackwell; 4-bit weights are dequantised to 16-bit for the matmul on these GPUs,
 * so int4 (and fp8 on a GPU without FP8 cores) saves memory traffic, not compute.
 */
export function computeFactor(precision: Precision, gpu: HardwareRecord): number {
  if (precision === 'fp8' && gpu.fp8Tflops) return gpu.bf16Tflops / gpu.fp8Tflops;
  return 1;
}

export function resolveGpu(hardware: HardwareRecord[], name: string): HardwareRecord {
  const q = name.toLowerCase();
  const found = hardware.find(
    (h) => h.id.toLowerCase() === q || h.aliases.some((a) => a.toLowerCase() === q),
  );
  if (found) return found;
  throw new GreenprintError(
    'invalid_input',
    `Unknown GPU "${name}". Known GPUs: ${hardware.map((h) => h.id).join(', ')}.`,
    { gpu: name, known: hardware.map((h) => h.id) },
  );
}

/**
 * The text-model fit for a GPU. Measured GPUs use their own fit; others scale the fit of the
 * closest measured GPU (FP8-capable → H100, otherwise A100) by spec-sheet ratios:
 * compute by W per FLOP/s, weight streaming by W per TB/s, per-GPU overhead by W.
 */
export function textFitFor(
  fits: TextFit[],
  hardware: HardwareRecord[],
  gpu: HardwareRecord,
): { fit: TextFit; extrapolatedFrom?: string } {
  const own = fits.find((f) => f.gpu === gpu.id);
  if (own) return { fit: own };
  const baseId = gpu.fp8Tflops ? 'H100' : 'A100-40GB';
  const base = fits.find((f) => f.gpu === baseId) ?? fits[0];
  if (!base) throw new GreenprintError('invalid_reference_data', 'No text-model coefficients are loaded.');
  const b = resolveGpu(hardware, base.gpu);
  const fit: TextFit = {
    gpu: gpu.id,
    computeJPerTokenPerB: base.computeJPerTokenPerB * (gpu.tdpW / gpu.bf16Tflops / (b.tdpW / b.bf16Tflops)),
    weightsJPerGB: base.weightsJPerGB * (gpu.tdpW / gpu.bandwidthTBs / (b.tdpW / b.bandwidthTBs)),
    perGpuJPerToken: base.perGpuJPerToken * (gpu.tdpW / b.tdpW),
    band: {
      low: base.band.low * EXTRAPOLATION_WIDENING.low,
      high: base.band.high * EXTRAPOLATION_WIDENING.high,
    },
    rows: base.rows,
    medianAbsLog10: base.medianAbsLog10,
  };
  return { fit, extrapolatedFrom: base.gpu };
}

/** Extra uncertainty for a GPU without measurements. */
export const EXTRAPOLATION_WIDENING = { low: 0.75, high: 1.33 };
