/**
 * Fits the text and diffusion coefficients on ML.ENERGY leaderboard v2 and writes
 * data/coefficients.json. Run by developers after a methodology change:
 *   npm run fit   (needs ../shared/data, which a user's clone does not have)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type FitInputs, fitText, relativeLeastSquares } from '../bench/lib/fit.js';
import { diffusionRows, llmRows, median, quantile } from '../bench/lib/mlenergy.js';
import {
  type Coefficients,
  type DiffusionFit,
  diffusionSizeIndex,
  findModel,
  indexModels,
  paramsRange,
  resolveGpu,
} from '../src/core/index.js';
import { loadFittingInputs } from '../src/data/index.js';

const OUT = new URL('../data/coefficients.json', import.meta.url);
const ref = loadFittingInputs();
const models = indexModels(ref.models);
const prefillMfu = ref.methodology.constants.prefillMfu.value;
const inputs: FitInputs = { hardware: ref.hardware, models, prefillMfu };

const llm = llmRows();
const text = ['A100-40GB', 'H100'].map((g) =>
  fitText(
    inputs,
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
