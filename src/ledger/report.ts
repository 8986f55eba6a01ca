import { sql } from 'kysely';
import { GreenprintError, type Range } from '../core/index.js';
import { ROLLUP_MEASURES } from './database.js';
import type { Ledger } from './ledger.js';

export const GROUP_BY = [
  'scope',
  'organisation',
  'project',
  'pipeline',
  'stage',
  'model',
  'provider',
  'region',
  'deployment',
  'hour',
  'day',
  'month',
] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface ReportQuery {
  /** Inclusive start and exclusive end, ISO-8601 (a date alone means midnight UTC). */
  from?: string;
  to?: string;
  by?: GroupBy[];
  /** Only rows whose dimension equals the value (e.g. project). */
  where?: Partial<
    Record<'organisation' | 'project' | 'pipeline' | 'stage' | 'model' | 'provider' | 'region', string>
  >;
}

/** Totals for one group, each with its range: the sum of the events' low, mid and high ends. */
export interface ReportRow {
  group: Record<string, string>;
  events: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  audioSeconds: number;
  videoSeconds: number;
  energyKwh: Range;
  /** Location-based operational carbon, kgCO2e. */
  carbonKg: Range;
  /** Market-based: supplier factors where given, location-based elsewhere (no residual-mix data). */
  carbonMarketKg: Range;
  embodiedKg: Range;
  waterL: Range;
  /** Sum of list prices of the priced events, USD; `pricedEvents` says how many had a price. */
  costUsd: number;
  pricedEvents: number;
  measuredEvents: number;
  /** Events that carried a supplier (market-based) factor. */
  marketFactorEvents: number;
}

export interface Report {
  query: ReportQuery;
  rows: ReportRow[];
  total: ReportRow;
}

type Agg = Record<string, number>;

const HOUR_MS = 3_600_000;

/** Parses a --from/--to value into an hour bucket (hours since the epoch); throws a clear error on a bad date. */
export function hourOf(value: string, flag: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) {
    throw new GreenprintError(
      'invalid_input',
      `${flag} must be an ISO-8601 date or date-time, e.g. 2024-05-01; got "${value}".`,
    );
  }
  return Math.floor(ms / HOUR_MS);
}

/**
 * Grouped totals from the hourly rollups (never the raw events). `day` and `month` are folded from
 * hours in UTC; `scope` splits each row into its operational and embodied attribution.
 */
export async function report(ledger: Ledger, query: ReportQuery = {}): Promise<Report> {
  const by = query.by ?? [];
  for (const b of by) {
    if (!GROUP_BY.includes(b)) {
      throw new GreenprintError(
        'invalid_input',
        `Cannot group by "${b}". Use one or more of: ${GROUP_BY.join(', ')}.`,
      );
    }
  }
  const sqlDims = new Set<string>();
  for (const b of by) {
    if (b === 'day' || b === 'month' || b === 'hour') sqlDims.add('hour');
    else if (b === 'scope')
      for (const k of ['scope', 'scope_category', 'embodied_scope', 'embodied_category']) sqlDims.add(k);
    else sqlDims.add(b);
  }
  const dims = [...sqlDims];
  let q = ledger.db.selectFrom('rollups').select(dims.map((d) => sql.ref(d).as(d)) as never[]);
  q = q.select(ROLLUP_MEASURES.map((m) => sql<number>`sum(${sql.ref(m)})`.as(m)) as never[]);
  if (query.from) q = q.where('hour', '>=', hourOf(query.from, '--from'));
  if (query.to) q = q.where('hour', '<', hourOf(query.to, '--to'));
  for (const [k, v] of Object.entries(query.where ?? {})) {
    if (v !== undefined) q = q.where(k as 'project', '=', v);
  }
  if (dims.length) q = q.groupBy(dims as never[]);
  const raw = (await q.execute()) as Record<string, unknown>[];

  const groups = new Map<string, { group: Record<string, string>; agg: Agg }>();
  const add = (
    group: Record<string, string>,
    r: Record<string, unknown>,
    part?: 'operational' | 'embodied',
  ) => {
    const key = JSON.stringify(group);
    let g = groups.get(key);
    if (!g) {
      g = { group, agg: Object.fromEntries(ROLLUP_MEASURES.map((m) => [m, 0])) };
      groups.set(key, g);
    }
    for (const m of ROLLUP_MEASURES) {
      const v = Number(r[m] ?? 0);
      // Splitting by scope: operational measures go to the operational scope, embodied to its own.
      if (part === 'embodied' && !m.startsWith('embodied_')) continue;
      if (part === 'operational' && m.startsWith('embodied_')) continue;
      g.agg[m] = (g.agg[m] as number) + v;
    }
  };
  for (const r of raw) {
    const base: Record<string, string> = {};
    for (const b of by) {
      if (b === 'scope') continue;
      const hour = Number(r.hour);
      if (b === 'hour') base.hour = new Date(hour * HOUR_MS).toISOString().slice(0, 13);
      else if (b === 'day') base.day = new Date(hour * HOUR_MS).toISOString().slice(0, 10);
      else if (b === 'month') base.month = new Date(hour * HOUR_MS).toISOString().slice(0, 7);
      else base[b] = String(r[b] ?? '');
    }
    if (by.includes('scope')) {
      const op = scopeLabel(Number(r.scope), Number(r.scope_category));
      const em = scopeLabel(Number(r.embodied_scope), Number(r.embodied_category));
      if (op === em) add({ ...base, scope: op }, r);
      else {
        add({ ...base, scope: op }, r, 'operational');
        add({ ...base, scope: em }, { ...r, events: 0, requests: 0 }, 'embodied');
      }
    } else {
      add(base, r);
    }
  }
  const timeKey = by.find((b) => b === 'hour' || b === 'day' || b === 'month');
  const rows = [...groups.values()]
    .map((g) => toRow(g.group, g.agg))
    .sort((a, b) =>
      timeKey
        ? (a.group[timeKey] ?? '').localeCompare(b.group[timeKey] ?? '') ||
          b.carbonKg.mid + b.embodiedKg.mid - (a.carbonKg.mid + a.embodiedKg.mid)
        : b.carbonKg.mid + b.embodiedKg.mid - (a.carbonKg.mid + a.embodiedKg.mid),
    );
  const total = Object.fromEntries(ROLLUP_MEASURES.map((m) => [m, 0])) as Agg;
  for (const g of groups.values()) {
    for (const m of ROLLUP_MEASURES) total[m] = (total[m] as number) + (g.agg[m] as number);
  }
  return { query, rows, total: toRow({}, total) };
}

export function scopeLabel(scope: number, category: number): string {
  return scope === 3 ? `Scope 3 cat. ${category}` : `Scope ${scope}`;
}

function range(a: Agg, m: string, k: number): Range {
  return {
    low: (a[`${m}_low`] as number) * k,
    mid: (a[`${m}_mid`] as number) * k,
    high: (a[`${m}_high`] as number) * k,
  };
}

function toRow(group: Record<string, string>, a: Agg): ReportRow {
  return {
    group,
    events: a.events as number,
    calls: a.requests as number,
    inputTokens: a.input_tokens as number,
    outputTokens: a.output_tokens as number,
    images: a.images as number,
    audioSeconds: a.audio_seconds as number,
    videoSeconds: a.video_seconds as number,
    energyKwh: range(a, 'energy_wh', 1e-3),
    carbonKg: range(a, 'carbon_g', 1e-3),
    carbonMarketKg: range(a, 'carbon_market_g', 1e-3),
    embodiedKg: range(a, 'embodied_g', 1e-3),
    waterL: range(a, 'water_ml', 1e-3),
    costUsd: a.cost_usd as number,
    pricedEvents: a.priced as number,
    measuredEvents: a.measured as number,
    marketFactorEvents: a.has_market as number,
  };
}
