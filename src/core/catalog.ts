import { GreenprintError } from './errors.js';
import type { EcologitsFile, ModelRecord, ParamsB } from './reference.js';

/** Normalises EcoLogits' `models.json` (shipped unchanged) into catalog records. */
export function fromEcologits(file: EcologitsFile): ModelRecord[] {
  const records: ModelRecord[] = file.models.map((m) => {
    const p = m.architecture.parameters;
    const moe = typeof p === 'object' && 'total' in p;
    const total: ParamsB = moe ? p.total : (p as ParamsB);
    const active: ParamsB = moe ? p.active : (p as ParamsB);
    return {
      id: m.name,
      provider: m.provider,
      aliases: [],
      modality: m.name.includes('embed') ? 'embedding' : 'text',
      architecture: m.architecture.type,
      totalParamsB: total,
      activeParamsB: active,
      openWeights: m.provider === 'huggingface_hub',
      sources: m.sources?.length
        ? m.sources
        : ['https://github.com/mlco2/ecologits/blob/main/ecologits/data/models.json'],
      warnings: m.warnings ?? [],
    };
  });
  const byName = new Map(records.map((r) => [`${r.provider}/${r.id}`, r]));
  for (const a of file.aliases) byName.get(`${a.provider}/${a.alias}`)?.aliases.push(a.name);
  return records;
}

export interface ModelIndex {
  /** Lower-cased id or alias → records (several providers may serve one id). */
  byKey: Map<string, ModelRecord[]>;
  all: ModelRecord[];
}

export function indexModels(models: ModelRecord[]): ModelIndex {
  const byKey = new Map<string, ModelRecord[]>();
  const add = (key: string, m: ModelRecord) => {
    const k = key.toLowerCase();
    const list = byKey.get(k);
    if (!list) byKey.set(k, [m]);
    else if (!list.includes(m)) list.push(m);
  };
  for (const m of models) {
    add(m.id, m);
    add(`${m.provider}/${m.id}`, m);
    for (const a of m.aliases) add(a, m);
  }
  return { byKey, all: models };
}

/** Finds a model by id or alias, preferring the given provider. Returns undefined when absent. */
export function findModel(index: ModelIndex, id: string, provider?: string): ModelRecord | undefined {
  const list = index.byKey.get(id.toLowerCase());
  if (!list) return undefined;
  if (provider) {
    const p = provider.toLowerCase();
    return list.find((m) => m.provider === p) ?? list[0];
  }
  return list[0];
}

/** Like `findModel`, but throws `unknown_model` with the closest ids when the model is absent. */
export function requireModel(index: ModelIndex, id: string, provider?: string): ModelRecord {
  const found = findModel(index, id, provider);
  if (found) return found;
  const suggestions = closeMatches(index, id);
  throw new GreenprintError(
    'unknown_model',
    `Unknown model "${id}". ${suggestions.length ? `Close matches: ${suggestions.join(', ')}. ` : ''}` +
      'Pass --params-billion (and --active-params-billion for mixture-of-experts) to estimate a model that is not in the catalog.',
    { model: id, suggestions },
  );
}

/** Up to `limit` catalog ids closest to `query` (substring hits first, then edit distance). */
export function closeMatches(index: ModelIndex, query: string, limit = 5): string[] {
  const q = query.toLowerCase();
  const tail = q.includes('/') ? q.slice(q.lastIndexOf('/') + 1) : q;
  const scored = index.all.map((m) => {
    const id = m.id.toLowerCase();
    const idTail = id.includes('/') ? id.slice(id.lastIndexOf('/') + 1) : id;
    const contains = id.includes(tail);
    return { id: m.id, score: editDistance(tail, idTail) - (contains ? 100 : 0) };
  });
  scored.sort((a, b) => a.score - b.score);
  return [...new Set(scored.map((s) => s.id))].slice(0, limit);
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** `{min,max}` or a single value → [low, mid, high] (geometric mid of a range). */
export function paramsRange(p: ParamsB): [number, number, number] {
  if (typeof p === 'number') return [p, p, p];
  return [p.min, Math.sqrt(p.min * p.max), p.max];
}
