import type { Precision } from './event.js';
import { BYTES_PER_PARAM, computeFactor } from './hardware.js';
import type { HardwareRecord, TextFit } from './reference.js';

export interface TextEnergyInput {
  activeParamsB: number;
  totalParamsB: number;
  precision: Precision;
  gpu: HardwareRecord;
  gpuCount: number;
  batchSize: number;
  /** Input tokens that need prefill (cached prompt tokens excluded). */
  prefillTokens: number;
  /** Output tokens, reasoning tokens included. */
  outputTokens: number;
  fit: TextFit;
  /** Fraction of peak tensor throughput reached in prefill (methodology constant prefillMfu). */
  prefillMfu: number;
}

/**
 * Prefill energy per input token, J (all GPUs): 2·P_active FLOPs per token at `mfu` of
 * the GPU's dense tensor throughput, drawing board power (TDP).
 */
export function prefillEnergyJPerToken(
  activeParamsB: number,
  precision: Precision,
  gpu: HardwareRecord,
  mfu: number,
): number {
  const flops = 2 * activeParamsB * 1e9 * computeFactor(precision, gpu);
  return (flops * gpu.tdpW) / (gpu.bf16Tflops * 1e12 * mfu);
}

/**
 * Decode energy per output token, J (all GPUs), fitted on ML.ENERGY v2:
 * `k_c·P_active·f_prec + k_w·W_GB / B + k_g·G` — compute, weight streaming shared by the batch,
 * and per-GPU overhead of the tensor-parallel group.
 */
export function decodeEnergyJPerToken(
  i: Omit<TextEnergyInput, 'prefillTokens' | 'outputTokens' | 'prefillMfu'>,
): number {
  const weights = i.totalParamsB * BYTES_PER_PARAM[i.precision];
  return (
    i.fit.computeJPerTokenPerB * i.activeParamsB * computeFactor(i.precision, i.gpu) +
    (i.fit.weightsJPerGB * weights) / i.batchSize +
    i.fit.perGpuJPerToken * i.gpuCount
  );
}

export interface TextEnergy {
  prefillJPerToken: number;
  decodeJPerToken: number;
  prefillWh: number;
  decodeWh: number;
  /** GPU-boundary energy of the request, Wh. */
  gpuWh: number;
}

export function textGpuEnergy(i: TextEnergyInput): TextEnergy {
  const prefillJPerToken = prefillEnergyJPerToken(i.activeParamsB, i.precision, i.gpu, i.prefillMfu);
  const decodeJPerToken = decodeEnergyJPerToken(i);
  const prefillWh = (i.prefillTokens * prefillJPerToken) / 3600;
  const decodeWh = (i.outputTokens * decodeJPerToken) / 3600;
  return { prefillJPerToken, decodeJPerToken, prefillWh, decodeWh, gpuWh: prefillWh + decodeWh };
}

/** Full fine-tuning, Wh: 6·P_active FLOPs per training token (forward + backward) at `mfu` of peak. */
export function trainingGpuWh(
  activeParamsB: number,
  tokens: number,
  precision: Precision,
  gpu: HardwareRecord,
  mfu: number,
): number {
  const flops = 6 * activeParamsB * 1e9 * tokens * computeFactor(precision, gpu);
  return (flops * gpu.tdpW) / (gpu.bf16Tflops * 1e12 * mfu) / 3600;
}
