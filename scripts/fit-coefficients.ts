/**
 * Fits the text and diffusion coefficients on ML.ENERGY leaderboard v2 and writes
 * data/coefficients.json. Run by developers after a methodology change:
 *   npm run fit   (needs ../shared/data, which a user's clone does not have)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { diffusionRows, type LlmRow, llmRows, median, quantile } from '../bench/lib/mlenergy.js';
import {
  BYTES_PER_PARAM,
  type Coefficients,
  type DiffusionFit,
  diffusionSizeIndex,
  findModel,
  indexModels,
  paramsRange,
  prefillEnergyJPerToken,
  resolveGpu,
  type TextFit,
} from '../src/core/index.js';
import { loadFittingInputs } from '../src/data/index.js';

const OUT = new URL('../data/coefficients.json', import.meta.url);
const ref = loadFittingInputs();
const models = indexModels(ref.models);
const prefillMfu = ref.methodology.constants.prefillMfu.value;

/** Active and total parameters of a row's model from the catalog, else the row's own figure. */
function sizeOf(row: { model: string; paramsB?: number }): { active: number; total: number } {
  const m = findModel(models, row.model);
  if (m) return { active: paramsRange(m.activeParamsB)[1], total: paramsRange(m.totalParamsB)[1] };
  if (row.paramsB) return { active: row.paramsB, total: row.paramsB };
  throw new Error(`No size for ${row.model}: add it to data/models.json`);
}

/** Weighted least squares (weights 1/y, i.e. relative error) with non-negative coefficients. */
function relativeLeastSquares(X: number[][], y: number[]): number[] {
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

function fitText(gpuId: string, rows: LlmRow[]): TextFit {
  const gpu = resolveGpu(ref.hardware, gpuId);
  const X: number[][] = [];
  const y: number[] = [];
  const prefill: number[] = [];
  for (const r of rows) {
    const { active, total } = sizeOf(r);
    const pre = r.inputTokens * prefillEnergyJPerToken(active, r.precision, gpu, prefillMfu);
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

const llm = llmRows();
const text = ['A100-40GB', 'H100'].map((g) =>
  fitText(
    g,
    llm.filter((r) => r.gpu === g),
  ),
);

// Average GPU power while serving, for the GPU-seconds of the embodied share.
for (const g of ['A100-40GB', 'H100']) {
  const gpu = resolveGpu(ref.hardware, g);
  const watts = llm
    .filter((r) => r.gpu === g)
    .map((r) => (r.energyJ * (r.tokensPerSecond / r.outputTokens)) / r.gpuCount);
  console.log(
    `${g}: median GPU power while serving ${median(watts).toFixed(0)} W = ${(median(watts) / gpu.tdpW).toFixed(2)} TDP`,
  );
}

// Diffusion: per GPU, y = E/steps = units·s_m + o/B, linear in per-model s_m and shared o.
const diff = diffusionRows();
const diffModels = [...new Set(diff.map((r) => r.model))];
const perGpu = new Map<string, { s: Map<string, number>; o: number }>();
for (const g of ['A100-40GB', 'H100']) {
  const rows = diff.filter((r) => r.gpu === g);
  const X = rows.map((r) => [
    ...diffModels.map((m) => (m === r.model ? (r.frames ?? 1) : 0)),
    1 / r.batchSize,
  ]);
  const y = rows.map((r) => r.energyJ / r.steps);
  // Drop model columns absent on this GPU to keep the system solvable.
  const present = diffModels.map((m) => rows.some((r) => r.model === m));
  const cols = [...present.map((p, i) => (p ? i : -1)).filter((i) => i >= 0), diffModels.length];
  const coef = relativeLeastSquares(
    X.map((row) => cols.map((c) => row[c] as number)),
    y,
  );
  const s = new Map<string, number>();
  for (const [i, c] of cols.slice(0, -1).entries()) s.set(diffModels[c] as string, coef[i] as number);
  perGpu.set(g, { s, o: coef[coef.length - 1] as number });
}
const h100 = perGpu.get('H100') as { s: Map<string, number>; o: number };
const a100 = perGpu.get('A100-40GB') as { s: Map<string, number>; o: number };
const a100Factor = median(
  diffModels
    .filter((m) => h100.s.has(m) && a100.s.has(m))
    .map((m) => (a100.s.get(m) as number) / (h100.s.get(m) as number)),
);
const diffusionModels: Record<string, number> = {};
for (const m of diffModels) {
  diffusionModels[m] = h100.s.get(m) ?? (a100.s.get(m) as number) / a100Factor;
}
const diffusion: DiffusionFit[] = [
  ['H100', 1, h100.o],
  ['A100-40GB', a100Factor, a100.o],
].map(([gpu, factor, o]) => {
  const rows = diff.filter((r) => r.gpu === gpu);
  const ratios = rows.map(
    (r) =>
      r.energyJ /
      (r.steps *
        ((r.frames ?? 1) * (diffusionModels[r.model] as number) * (factor as number) +
          (o as number) / r.batchSize)),
  );
  return {
    gpu: gpu as string,
    gpuFactor: factor as number,
    batchOverheadJPerStep: o as number,
    band: { low: quantile(ratios, 0.05), high: quantile(ratios, 0.95) },
    rows: rows.length,
    medianAbsLog10: median(ratios.map((q) => Math.abs(Math.log10(q)))),
  };
});

// Size fit over image models: ln s_m = a + b ln(P · latent pixels · cfg).
const imagePoints = diffModels
  .map((id) => ({ id, m: findModel(models, id) }))
  .filter((p) => p.m?.modality === 'image' && p.m.media)
  .map(({ id, m }) => {
    const media = m?.media as NonNullable<typeof m>['media'] & object;
    const x = Math.log(
      diffusionSizeIndex(
        paramsRange(m?.totalParamsB ?? 1)[1],
        media.nativeWidth,
        media.nativeHeight,
        media.guidance,
      ),
    );
    return { x, y: Math.log(diffusionModels[id] as number) };
  });
const mx = imagePoints.reduce((a, p) => a + p.x, 0) / imagePoints.length;
const my = imagePoints.reduce((a, p) => a + p.y, 0) / imagePoints.length;
const slope =
  imagePoints.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) /
  imagePoints.reduce((a, p) => a + (p.x - mx) ** 2, 0);
const intercept = my - slope * mx;
const sigma = Math.sqrt(
  imagePoints.reduce((a, p) => a + (p.y - intercept - slope * p.x) ** 2, 0) /
    Math.max(1, imagePoints.length - 2),
);

const coefficients: Coefficients = {
  version: ref.methodology.version,
  fittedOn:
    'ML.ENERGY leaderboard v2 (ml-energy/leaderboard-v2 @ c3af7f31), llm_text_generation.csv and diffusion.csv',
  source: 'https://github.com/ml-energy/leaderboard-v2 (Apache-2.0); fit by scripts/fit-coefficients.ts',
  assumptions: {
    chatInputTokens: 220,
    codeInputTokens: 150,
    prefillMfu,
    weightsPrecision: 'bf16 (all ML.ENERGY v2 rows)',
  },
  text,
  diffusion,
  diffusionModels,
  diffusionSizeFit: { logIntercept: intercept, slope, band: Math.exp(1.645 * sigma) },
};
const previous = readFileSync(OUT, { encoding: 'utf8', flag: 'a+' });
writeFileSync(OUT, `${JSON.stringify(coefficients, null, 2)}\n`);
console.log(
  previous.trim() === JSON.stringify(coefficients, null, 2)
    ? 'coefficients unchanged'
    : `wrote ${OUT.pathname}`,
);
console.table(
  text.map((t) => ({
    gpu: t.gpu,
    k_c: t.computeJPerTokenPerB,
    k_w: t.weightsJPerGB,
    k_g: t.perGpuJPerToken,
    band: `${t.band.low.toFixed(2)}–${t.band.high.toFixed(2)}`,
    medAbsLog10: t.medianAbsLog10.toFixed(3),
  })),
);
console.table(
  diffusion.map((d) => ({
    gpu: d.gpu,
    factor: d.gpuFactor,
    overheadJ: d.batchOverheadJPerStep,
    band: `${d.band.low.toFixed(2)}–${d.band.high.toFixed(2)}`,
    medAbsLog10: d.medianAbsLog10.toFixed(3),
  })),
);
console.log('size fit', { intercept, slope, sigma, n: imagePoints.length });
