import {
  createEstimator,
  type Estimator,
  ecologitsLlmImpacts,
  findModel,
  paramsRange,
} from '../../src/core/index.js';
import { loadReferenceData } from '../../src/data/index.js';
import { diffusionRowEvent, diffusionRows, llmRowEvent, llmRows, median } from './mlenergy.js';

export interface AccuracyRow {
  kind: 'llm' | 'mllm' | 'diffusion';
  label: string;
  measuredWh: number;
  estimateWh: number;
  lowWh: number;
  highWh: number;
  /** EcoLogits' method on the same row (LLM rows only), GPU boundary. */
  ecologitsWh: number | null;
}

export interface AccuracySummary {
  rows: number;
  medianRatio: number;
  medianAbsLog10: number;
  maxFactor: number;
  insideRange: number;
  ecologits: { medianRatio: number; medianAbsLog10: number; maxFactor: number } | null;
}

/** Every ML.ENERGY v2 reference row, estimated at boundary=gpu with that row's serving setup. */
export function accuracyRows(estimator: Estimator = createEstimator(loadReferenceData())): AccuracyRow[] {
  const out: AccuracyRow[] = [];
  for (const [kind, file] of [
    ['llm', 'llm_text_generation.csv'],
    ['mllm', 'mllm_text_generation.csv'],
  ] as const) {
    for (const row of llmRows(file)) {
      const impact = estimator.estimate(llmRowEvent(row), { boundary: 'gpu' });
      const m = findModel(estimator.models, row.model);
      const active = m ? paramsRange(m.activeParamsB)[1] : row.paramsB;
      const total = m ? paramsRange(m.totalParamsB)[1] : row.paramsB;
      const eco = ecologitsLlmImpacts({
        activeParamsB: active,
        totalParamsB: total,
        outputTokens: row.outputTokens,
        batchSize: row.batchSize,
        gpuCount: row.gpuCount,
        pue: 1,
        wueOnsiteLPerKwh: 0,
        wueOffsiteLPerKwh: 0,
        gwpKgPerKwh: 0,
      });
      out.push({
        kind,
        label: `${row.model} ${row.gpu} tp${row.gpuCount} bs${row.batchSize}`,
        measuredWh: row.energyJ / 3600,
        estimateWh: impact.energyWh.mid,
        lowWh: impact.energyWh.low,
        highWh: impact.energyWh.high,
        ecologitsWh: eco.gpuWh,
      });
    }
  }
  for (const row of diffusionRows()) {
    const impact = estimator.estimate(diffusionRowEvent(row), { boundary: 'gpu' });
    out.push({
      kind: 'diffusion',
      label: `${row.model} ${row.gpu} bs${row.batchSize}${row.frames ? ` ${row.frames}f` : ''}`,
      measuredWh: row.energyJ / 3600,
      estimateWh: impact.energyWh.mid,
      lowWh: impact.energyWh.low,
      highWh: impact.energyWh.high,
      ecologitsWh: null,
    });
  }
  return out;
}

export function summarise(rows: AccuracyRow[]): AccuracySummary {
  const ratios = rows.map((r) => r.estimateWh / r.measuredWh);
  const logs = ratios.map((q) => Math.abs(Math.log10(q)));
  const eco = rows.filter((r) => r.ecologitsWh !== null).map((r) => (r.ecologitsWh as number) / r.measuredWh);
  return {
    rows: rows.length,
    medianRatio: median(ratios),
    medianAbsLog10: median(logs),
    maxFactor: 10 ** Math.max(...logs),
    insideRange: rows.filter((r) => r.measuredWh >= r.lowWh && r.measuredWh <= r.highWh).length / rows.length,
    ecologits: eco.length
      ? {
          medianRatio: median(eco),
          medianAbsLog10: median(eco.map((q) => Math.abs(Math.log10(q)))),
          maxFactor: 10 ** Math.max(...eco.map((q) => Math.abs(Math.log10(q)))),
        }
      : null,
  };
}
