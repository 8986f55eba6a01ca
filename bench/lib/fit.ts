import {
  BYTES_PER_PARAM,
  findModel,
  type HardwareRecord,
  type ModelIndex,
  paramsRange,
  prefillEnergyJPerToken,
  resolveGpu,
  type TextFit,
} from '../../src/core/index.js';
import { type LlmRow, median, quantile } from './mlenergy.js';

/** What the text fit needs: GPU specs, the catalog (for model sizes) and the prefill MFU. */
export interface FitInputs {
  hardware: HardwareRecord[];
  models: ModelIndex;
  prefillMfu: number;
}

/** Active and total parameters of a row's model from the catalog, else the row's own figure. */
export function sizeOf(
  models: ModelIndex,
  row: { model: string; paramsB?: number },
): { active: number; total: number } {
  const m = findModel(models, row.model);
  if (m) return { active: paramsRange(m.activeParamsB)[1], total: paramsRange(m.totalParamsB)[1] };
  if (row.paramsB) return { active: row.paramsB, total: row.paramsB };
  throw new Error(`No size for ${row.model}: add it to data/models.json`);
}

/** Weighted least squares (weights 1/y, i.e. relative error) with non-negative coefficients. */
export function relativeLeastSquares(X: number[][], y: number[]): number[] {
  const k = X[0]?.length ?? 0;
  let active = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    const A = active.map(() => active.map(() => 0));
    const b = active.map(() => 0);
    X.forEach((row, r) => {
      const w = 1 / (y[r] as number) ** 2;
      active.forEach((i, a) => {
        b[a] = (b[a] as number) + w * (row[i] as number) * (y[r] as number);
        active.forEach((j, c) => {
          (A[a] as number[])[c] =
            ((A[a] as number[])[c] as number) + w * (row[i] as number) * (row[j] as number);
        });
      });
    });
    const sol = solve(A, b);
    const full = Array.from({ length: k }, () => 0);
    active.forEach((i, a) => {
      full[i] = sol[a] as number;
    });
    const negative = active.filter((i) => (full[i] as number) < 0);
    if (negative.length === 0) return full;
    active = active.filter((i) => !negative.includes(i));
  }
}

function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs((M[r] as number[])[c] as number) > Math.abs((M[p] as number[])[c] as number)) p = r;
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    const pivot = (M[c] as number[])[c] as number;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((M[r] as number[])[c] as number) / pivot;
      for (let j = c; j <= n; j++)
        (M[r] as number[])[j] = ((M[r] as number[])[j] as number) - f * ((M[c] as number[])[j] as number);
    }
  }
  return M.map((row, i) => (row[n] as number) / (row[i] as number));
}

/**
 * Fits `k_c·P_active + k_w·W_GB/B + k_g·G` per output token on one GPU's rows, after subtracting the
 * modelled prefill of each row's assumed prompt. The band is the 5th–95th percentile of measured/fitted.
 */
export function fitText(inputs: FitInputs, gpuId: string, rows: LlmRow[]): TextFit {
  const gpu = resolveGpu(inputs.hardware, gpuId);
  const X: number[][] = [];
  const y: number[] = [];
  const prefill: number[] = [];
  for (const r of rows) {
    const { active, total } = sizeOf(inputs.models, r);
    const pre = r.inputTokens * prefillEnergyJPerToken(active, r.precision, gpu, inputs.prefillMfu);
    X.push([active, (total * BYTES_PER_PARAM[r.precision]) / r.batchSize, r.gpuCount]);
    y.push((r.energyJ - pre) / r.outputTokens);
    prefill.push(pre);
  }
  const [kc, kw, kg] = relativeLeastSquares(X, y) as [number, number, number];
  const ratios = rows.map((r, i) => {
    const x = X[i] as number[];
    const predicted =
      (prefill[i] as number) +
      r.outputTokens * (kc * (x[0] as number) + kw * (x[1] as number) + kg * (x[2] as number));
    return r.energyJ / predicted;
  });
  return {
    gpu: gpuId,
    computeJPerTokenPerB: kc,
    weightsJPerGB: kw,
    perGpuJPerToken: kg,
    band: { low: quantile(ratios, 0.05), high: quantile(ratios, 0.95) },
    rows: rows.length,
    medianAbsLog10: median(ratios.map((q) => Math.abs(Math.log10(q)))),
  };
}
