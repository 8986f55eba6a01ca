/**
 * EcoLogits' published LLM-inference method (mlco2/ecologits `impacts/llm.py`, 2025 methodology),
 * re-implemented from its documented formulas as the baseline Greenprint is compared against.
 * It ignores input tokens and assumes 16-bit weights.
 */
export const ECOLOGITS = {
  quantizationBits: 16,
  gpuEnergyAlpha: 1.1665273170451914e-6,
  gpuEnergyBeta: -0.011205921025579175,
  gpuEnergyGamma: 4.052928146734005e-5,
  latencyAlpha: 0.0006785088094353663,
  latencyBeta: 0.0003119310311688259,
  latencyGamma: 0.019473717579473387,
  gpuMemoryGB: 80,
  gpuEmbodiedKg: 164,
  serverGpus: 8,
  serverPowerKw: 1.2,
  serverEmbodiedKg: 5700,
  lifespanS: 94_608_000,
  batchSize: 64,
} as const;

export interface EcologitsInput {
  activeParamsB: number;
  totalParamsB: number;
  outputTokens: number;
  batchSize?: number;
  /** Defaults to EcoLogits' memory-based count. */
  gpuCount?: number;
  /** OpenRouter throughput and time to first token, when the catalog has them. */
  tps?: number;
  ttftS?: number;
  pue: number;
  wueOnsiteLPerKwh: number;
  wueOffsiteLPerKwh: number;
  gwpKgPerKwh: number;
}

export interface EcologitsResult {
  gpuCount: number;
  latencyS: number;
  /** GPU energy of all GPUs, Wh (the GPU boundary). */
  gpuWh: number;
  /** Request energy at facility, Wh. */
  energyWh: number;
  gwpUsageG: number;
  gwpEmbodiedG: number;
  waterMl: number;
}

export function ecologitsLlmImpacts(i: EcologitsInput): EcologitsResult {
  const e = ECOLOGITS;
  const b = i.batchSize ?? e.batchSize;
  const memoryGB = 1.2 * i.totalParamsB * (e.quantizationBits / 8);
  const gpuCount = i.gpuCount ?? 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(memoryGB / e.gpuMemoryGB))));
  const perGpuWh =
    i.outputTokens * (e.gpuEnergyAlpha * Math.exp(e.gpuEnergyBeta * b) * i.activeParamsB + e.gpuEnergyGamma);
  const latencyS =
    i.tps !== undefined
      ? (i.ttftS ?? 0) + i.outputTokens / i.tps
      : i.outputTokens * (e.latencyAlpha * i.activeParamsB + e.latencyBeta * b + e.latencyGamma);
  const serverWh = (latencyS / 3600) * e.serverPowerKw * 1000 * (gpuCount / e.serverGpus) * (1 / b);
  const gpuWh = gpuCount * perGpuWh;
  const energyWh = i.pue * (serverWh + gpuWh);
  const serverEmbodiedKg = (gpuCount / e.serverGpus) * e.serverEmbodiedKg + gpuCount * e.gpuEmbodiedKg;
  return {
    gpuCount,
    latencyS,
    gpuWh,
    energyWh,
    gwpUsageG: energyWh * i.gwpKgPerKwh,
    gwpEmbodiedG: (latencyS * serverEmbodiedKg * 1000) / (b * e.lifespanS),
    waterMl: energyWh * (i.wueOnsiteLPerKwh + i.pue * i.wueOffsiteLPerKwh),
  };
}
