/**
 * Validates the hand-curated reference data in `data/` against the schemas in `src/core/reference.ts`
 * and checks cross-file consistency. Run: `npx tsx scripts/validate-data.ts` (exits 1 on any problem).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ecologitsFileSchema,
  modelCatalogFileSchema,
  pricesFileSchema,
  referenceFileSchema,
} from '../src/core/reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (rel: string): unknown => JSON.parse(readFileSync(join(root, rel), 'utf8'));

const problems: string[] = [];
const check = (ok: boolean, message: string): void => {
  if (!ok) problems.push(message);
};

const reference = referenceFileSchema.parse(readJson('data/reference.json'));
const catalog = modelCatalogFileSchema.parse(readJson('data/models.json'));
const prices = pricesFileSchema.parse(readJson('data/prices-manual.json'));
const ecologits = ecologitsFileSchema.parse(readJson('data/ecologits/models.json'));

const duplicates = (values: string[]): string[] => values.filter((v, i) => values.indexOf(v) !== i);

// Hardware: unique ids and aliases, case-insensitively.
const hardwareKeys = reference.hardware.flatMap((h) => [h.id, ...h.aliases].map((k) => k.toLowerCase()));
check(
  duplicates(hardwareKeys).length === 0,
  `duplicate hardware ids/aliases: ${duplicates(hardwareKeys).join(', ')}`,
);
const hardwareIds = new Set(reference.hardware.map((h) => h.id));

// Providers: unique keys, ordered ranges, known default GPU.
const providerKeys = reference.providers.flatMap((p) => [p.id, ...p.aliases].map((k) => k.toLowerCase()));
check(
  duplicates(providerKeys).length === 0,
  `duplicate provider ids/aliases: ${duplicates(providerKeys).join(', ')}`,
);
for (const p of reference.providers) {
  check(hardwareIds.has(p.defaultGpu), `provider ${p.id}: unknown defaultGpu ${p.defaultGpu}`);
  for (const [name, r] of [
    ['pue', p.pue],
    ['wueOnsiteLPerKwh', p.wueOnsiteLPerKwh],
  ] as const) {
    check(r.low <= r.mid && r.mid <= r.high, `provider ${p.id}: ${name} is not low <= mid <= high`);
  }
  check(p.pue.low >= 1, `provider ${p.id}: PUE below 1`);
}

// Cloud regions: unique per cloud, zone present in the Electricity Maps yearly data shipped by @tgwf/co2.
const require = createRequire(import.meta.url);
const co2Data = require('@tgwf/co2/data') as {
  electricityMaps: { yearly2024: { data: Record<string, unknown> } };
};
const zones = new Set(Object.keys(co2Data.electricityMaps.yearly2024.data));
const regionKeys = reference.cloudRegions.map((r) => `${r.cloud}:${r.id}`);
check(duplicates(regionKeys).length === 0, `duplicate cloud regions: ${duplicates(regionKeys).join(', ')}`);
for (const r of reference.cloudRegions) {
  check(zones.has(r.zone), `region ${r.cloud}:${r.id}: zone ${r.zone} not in electricityMaps.yearly2024`);
}

// Models: unique, no collision with EcoLogits names or aliases of the same provider, consistent shapes.
const ecoKeys = new Set([
  ...ecologits.models.map((m) => `${m.provider}:${m.name}`),
  ...ecologits.aliases.map((a) => `${a.provider}:${a.name}`),
]);
const modelKeys = catalog.models.flatMap((m) => [m.id, ...m.aliases].map((k) => `${m.provider}:${k}`));
check(duplicates(modelKeys).length === 0, `duplicate model ids/aliases: ${duplicates(modelKeys).join(', ')}`);
for (const key of modelKeys) check(!ecoKeys.has(key), `model ${key} collides with an EcoLogits entry`);
const lower = (p: (typeof catalog.models)[number]['totalParamsB']): number =>
  typeof p === 'number' ? p : p.min;
const upper = (p: (typeof catalog.models)[number]['totalParamsB']): number =>
  typeof p === 'number' ? p : p.max;
for (const m of catalog.models) {
  const media = m.modality === 'image' || m.modality === 'video';
  check(
    media === (m.media !== undefined),
    `model ${m.id}: media block must be present exactly for image/video`,
  );
  check(
    media === (m.architecture === 'diffusion'),
    `model ${m.id}: diffusion architecture must match image/video`,
  );
  if (m.modality === 'video')
    check(m.media?.defaultFrames !== undefined, `model ${m.id}: video without defaultFrames`);
  const audio = m.modality === 'speech' || m.modality === 'transcription' || m.modality === 'music';
  check(
    audio === (m.audio !== undefined),
    `model ${m.id}: audio block must be present exactly for audio modalities`,
  );
  check(lower(m.totalParamsB) <= upper(m.totalParamsB), `model ${m.id}: totalParamsB min > max`);
  check(upper(m.activeParamsB) <= upper(m.totalParamsB), `model ${m.id}: active parameters exceed total`);
  if (m.architecture !== 'moe') {
    check(
      JSON.stringify(m.activeParamsB) === JSON.stringify(m.totalParamsB),
      `model ${m.id}: active != total`,
    );
  }
  if (typeof m.totalParamsB !== 'number') {
    check(m.warnings.includes('model-arch-not-released'), `model ${m.id}: size range without warning`);
  }
}

// Prices: unique, and each priced model is known (our catalog or EcoLogits).
const priceKeys = prices.prices.map((p) => `${p.provider}:${p.model}`);
check(duplicates(priceKeys).length === 0, `duplicate prices: ${duplicates(priceKeys).join(', ')}`);
const catalogKeys = new Set(modelKeys);
for (const key of priceKeys) check(catalogKeys.has(key) || ecoKeys.has(key), `price ${key}: unknown model`);

if (problems.length > 0) {
  for (const p of problems) console.error(`✗ ${p}`);
  process.exit(1);
}
console.log(
  `data OK: ${reference.hardware.length} GPUs, ${reference.providers.length} providers, ` +
    `${reference.cloudRegions.length} cloud regions, ${catalog.models.length} models, ${prices.prices.length} prices`,
);
