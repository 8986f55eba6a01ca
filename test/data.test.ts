import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { diffusionRows, llmRows } from '../bench/lib/mlenergy.js';
import { HAS_SHARED_DATA } from '../bench/lib/shared.js';
import { findModel, indexModels } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';

const ref = loadReferenceData();
const models = indexModels(ref.models);

describe('shipped reference data', () => {
  it('passes the cross-file checks of scripts/validate-data.ts', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/validate-data.ts'], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    });
    expect(r.stderr + r.stdout).toMatch(/data OK/);
    expect(r.status).toBe(0);
  });

  it('every cloud region and provider default region has a grid intensity', () => {
    const missing = [
      ...[...ref.cloudRegions.values()].map((c) => c.zone.toUpperCase()),
      ...ref.providers.map((p) => p.defaultRegion.toUpperCase()),
    ].filter((z) => !ref.grid.has(z));
    expect(missing).toEqual([]);
  });

  it.skipIf(!HAS_SHARED_DATA)(
    'every ML.ENERGY model resolves in the catalog, media models with their native settings',
    () => {
      const ids = [
        ...new Set([
          ...llmRows().map((r) => r.model),
          ...llmRows('mllm_text_generation.csv').map((r) => r.model),
        ]),
      ];
      expect(ids.filter((id) => !findModel(models, id))).toEqual([]);
      const media = [...new Set(diffusionRows().map((r) => r.model))].map((id) => findModel(models, id));
      expect(media.filter((m) => !m?.media)).toEqual([]);
    },
  );

  it('grid intensities are plausible and carry their year where the source gives one', () => {
    expect(ref.grid.get('WORLD')?.gPerKwh).toBeGreaterThan(400);
    expect(ref.grid.get('FR')?.gPerKwh).toBeLessThan(100);
    expect(ref.grid.get('DE')?.year).toBeGreaterThanOrEqual(2024);
    expect(ref.waterIntensity.get('US')?.lPerKwh).toBeCloseTo(3.1321, 3);
  });
});
