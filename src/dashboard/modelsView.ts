import type { Estimator, Modality, Range, UsageEvent } from '../core/index.js';
import { paramsRange } from '../core/index.js';
import type { CatalogModel, Models } from './apiTypes.js';

/** The functional unit each modality is compared on, and the event that stands for one of it. */
const UNITS: Record<Modality, { unit: string; event: Omit<UsageEvent, 'requestModel'> }> = {
  text: { unit: '1,000 output tokens', event: { outputTokens: 1000 } },
  embedding: { unit: '1,000 input tokens', event: { inputTokens: 1000 } },
  image: { unit: 'image (native size, default steps)', event: { images: { count: 1 } } },
  video: { unit: 'second of video', event: { video: { seconds: 1 } } },
  speech: { unit: '1,000 characters', event: { audio: { characters: 1000 } } },
  transcription: { unit: 'minute of audio', event: { audio: { seconds: 60 } } },
  music: { unit: 'minute of audio', event: { audio: { seconds: 60 } } },
};

export interface ModelsQuery {
  provider?: string;
  model?: string;
  modality?: string;
  /** Case-insensitive substring of the id. */
  q?: string;
}

/** Every catalog model with its footprint per functional unit; computed once per estimator. */
const cache = new WeakMap<Estimator, CatalogModel[]>();

export function catalogModels(estimator: Estimator): CatalogModel[] {
  const cached = cache.get(estimator);
  if (cached) return cached;
  const seen = new Set<string>();
  const list: CatalogModel[] = [];
  for (const m of estimator.models.all) {
    const key = `${m.provider}/${m.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const unit = UNITS[m.modality];
    const [tl, tm, th] = paramsRange(m.totalParamsB);
    const [al, am, ah] = paramsRange(m.activeParamsB);
    let energyWh: Range | null = null;
    let carbonG: number | null = null;
    let zone: string | null = null;
    let costUsd: number | null = null;
    let note: string | null = null;
    try {
      const impact = estimator.estimate({ ...unit.event, requestModel: m.id, provider: m.provider });
      energyWh = impact.energyWh;
      carbonG = impact.carbonGCO2e.location.mid;
      zone = impact.assumptions.grid.zone;
      costUsd = impact.costUsd?.mid ?? null;
    } catch (error) {
      note = (error as Error).message;
    }
    const price = estimator.reference.prices.get(m.id.toLowerCase());
    list.push({
      id: m.id,
      provider: m.provider,
      modality: m.modality,
      architecture: m.architecture,
      openWeights: m.openWeights,
      totalParamsB: { low: tl, mid: tm, high: th },
      activeParamsB: { low: al, mid: am, high: ah },
      unit: unit.unit,
      energyWh,
      carbonG,
      zone,
      costUsd,
      price: price ? (({ model: _m, provider: _p, ...rest }) => rest)(price) : null,
      sources: m.sources,
      warnings: m.warnings,
      note,
    });
  }
  list.sort((a, b) => a.modality.localeCompare(b.modality) || a.id.localeCompare(b.id));
  cache.set(estimator, list);
  return list;
}

/** The catalog narrowed by provider, exact model, modality or an id substring. */
export function modelsView(estimator: Estimator, query: ModelsQuery): Models {
  const all = catalogModels(estimator);
  const q = query.q?.toLowerCase();
  const models = all.filter(
    (m) =>
      (!query.provider || m.provider === query.provider) &&
      (!query.model || m.id === query.model) &&
      (!query.modality || m.modality === query.modality) &&
      (!q || m.id.toLowerCase().includes(q)),
  );
  return {
    models,
    modalities: [...new Set(all.map((m) => m.modality))].sort(),
    providers: [...new Set(all.map((m) => m.provider))].sort(),
  };
}
