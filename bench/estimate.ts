/**
 * npm run bench:estimate [-- --json]
 * Estimates per second on one core (single thread), per modality, against the target of 500,000/s
 * and against EcoLogits' bare formula run in the same process as a baseline.
 */
// Measures the compiled package (npm run build first, done by the npm script), as the gateway runs it.
import {
  createEstimator,
  ecologitsLlmImpacts,
  findModel,
  paramsRange,
  parseUsageEvent,
  type UsageEvent,
} from '../dist/core/index.js';
import { loadReferenceData } from '../dist/data/index.js';

const estimator = createEstimator(loadReferenceData());
const TARGET = 500_000;

function rate(fn: (i: number) => number, seconds = 1.5): number {
  for (let i = 0; i < 20_000; i++) fn(i); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let sink = 0;
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 1000; i++) sink += fn(n + i);
    n += 1000;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink);
  return n / elapsed;
}

const text: UsageEvent = {
  requestModel: 'gpt-4o',
  provider: 'openai',
  inputTokens: 500,
  outputTokens: 300,
  region: 'us-east-1',
};
const open: UsageEvent = {
  requestModel: 'meta-llama/Llama-3.1-8B-Instruct',
  inputTokens: 500,
  outputTokens: 300,
};
const image: UsageEvent = {
  requestModel: 'stabilityai/stable-diffusion-xl-base-1.0',
  images: { count: 1 },
  region: 'DE',
};

const gpt4o = findModel(estimator.models, 'gpt-4o');
const cases: [string, (i: number) => number][] = [
  [
    'baseline: catalog lookup + EcoLogits formula',
    (i) => {
      const m = findModel(estimator.models, 'gpt-4o') ?? gpt4o;
      if (!m) return 0;
      return ecologitsLlmImpacts({
        activeParamsB: paramsRange(m.activeParamsB)[1],
        totalParamsB: paramsRange(m.totalParamsB)[1],
        outputTokens: 300 + (i & 7),
        pue: 1.2,
        wueOnsiteLPerKwh: 0.5,
        wueOffsiteLPerKwh: 3,
        gwpKgPerKwh: 0.4,
      }).energyWh;
    },
  ],
  [
    'estimate: chat, managed (gpt-4o)',
    (i) => estimator.estimate({ ...text, outputTokens: 300 + (i & 7) }).energyWh.mid,
  ],
  [
    'estimate: chat, open model',
    (i) => estimator.estimate({ ...open, outputTokens: 300 + (i & 7) }).energyWh.mid,
  ],
  [
    'estimate: image (SDXL)',
    (i) => estimator.estimate({ ...image, images: { count: 1 + (i & 1) } }).energyWh.mid,
  ],
  [
    'parse + estimate: chat (untrusted input)',
    (i) => estimator.estimate(parseUsageEvent({ ...text, outputTokens: 300 + (i & 7) })).energyWh.mid,
  ],
];

const results = cases.map(([name, fn]) => ({ name, perSecond: rate(fn) }));
const baseline = results[0]?.perSecond ?? 1;
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify(
      {
        target: TARGET,
        results: results.map((r) => ({
          ...r,
          vsBaseline: r.perSecond / baseline,
          vsTarget: r.perSecond / TARGET,
        })),
      },
      null,
      2,
    ),
  );
} else {
  console.log(
    `${'case'.padEnd(44)}${'estimates/s'.padStart(14)}${'× baseline'.padStart(12)}${'× target'.padStart(10)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(44)}${Math.round(r.perSecond).toLocaleString('en-US').padStart(14)}${(r.perSecond / baseline).toFixed(3).padStart(12)}${(r.perSecond / TARGET).toFixed(2).padStart(10)}`,
    );
  }
  console.log(
    `\nTarget: ${TARGET.toLocaleString('en-US')} estimates/s on one core (the gateway estimates every request).`,
  );
}
