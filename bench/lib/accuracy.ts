import {
  createEstimator,
  type Estimator,
  ecologitsLlmImpacts,
  findModel,
  paramsRange,
} from '../../src/core/index.js';
import { loadReferenceData } from '../../src/data/index.js';
import { type FitInputs, fitText } from './fit.js';
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

/**
 * Leave-one-model-out check of the text fit: for each LLM, refit the per-GPU coefficients without
 * its rows and estimate its rows. Out-of-sample error, the honest figure for an unseen model.
 */
export function crossValidatedLlm(): { model: string; medianAbsLog10: number; rows: number }[] {
  const ref = loadReferenceData();
  const models = createEstimator(ref).models;
  const inputs: FitInputs = {
    hardware: ref.hardware,
    models,
    prefillMfu: ref.methodology.constants.prefillMfu.value,
  };
  const rows = llmRows();
  const names = [...new Set(rows.map((r) => r.model))];
  return names.map((name) => {
    const train = rows.filter((r) => r.model !== name);
    const text = ['A100-40GB', 'H100'].map((g) =>
      fitText(
        inputs,
        g,
        train.filter((r) => r.gpu === g),
      ),
    );
    const estimator = createEstimator({ ...ref, coefficients: { ...ref.coefficients, text } });
    const held = rows.filter((r) => r.model === name);
    const logs = held.map((r) => {
      const est = estimator.estimate(llmRowEvent(r), { boundary: 'gpu' }).energyWh.mid;
      return Math.abs(Math.log10(est / (r.energyJ / 3600)));
    });
    return { model: name, medianAbsLog10: median(logs), rows: held.length };
  });
}

/** Published single figures, compared at the boundary and setup each was measured at. */
export function publishedComparisons(): {
  figure: string;
  publishedWh: number;
  estimateWh: number;
  note: string;
}[] {
  const estimator = createEstimator(loadReferenceData());
  const sdxl = (gpu: string, steps: number, boundary: 'gpu' | 'server') =>
    estimator.estimate(
      {
        requestModel: 'stabilityai/stable-diffusion-xl-base-1.0',
        deployment: 'self_hosted',
        provider: 'self_hosted',
        images: { count: 1, steps },
        hardware: { gpu, batchSize: 1 },
      },
      { boundary },
    ).energyWh.mid;
  return [
    {
      figure: 'SDXL, HF AI Energy Score (H100, GPU only, 1,639.85 Wh / 1,000 images)',
      publishedWh: 1.63985,
      estimateWh: sdxl('H100', 50, 'gpu'),
      note: 'estimate at 50 steps (diffusers default), batch 1; benchmark settings are not published',
    },
    {
      figure: 'SDXL, Luccioni et al. 2024 (A100-80GB, GPU+CPU+RAM, 11.4 kWh / 1,000 images)',
      publishedWh: 11.4,
      estimateWh: sdxl('A100-80GB', 50, 'server'),
      note: 'estimate at server boundary, 50 steps, batch 1; the paper measured with CodeCarbon (GPU + CPU + RAM) at batch 1; its image size and steps are not in our summary',
    },
  ];
}
