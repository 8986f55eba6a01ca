import { sql } from 'kysely';
import { type Ledger, type ReportRow, report } from '../ledger/index.js';
import type { Bucket, DashboardFilters, Figures, Overview } from './apiTypes.js';
import { ALL_FILTERS, notApplied, reportQuery } from './filters.js';

const TOP = 10;

/**
 * Totals over time and the largest models, projects and stages, all from the ledger's rollups through
 * `report` (no SQL of its own beyond the period's extent, used to pick the time bucket).
 */
export async function overviewView(
  ledger: Ledger,
  filters: DashboardFilters,
  bucket?: Bucket,
): Promise<Overview> {
  const chosen = bucket ?? (await autoBucket(ledger, filters));
  const [series, models, projects, stages] = await Promise.all([
    report(ledger, reportQuery(filters, [chosen])),
    report(ledger, reportQuery(filters, ['model', 'provider'])),
    report(ledger, reportQuery(filters, ['project'])),
    report(ledger, reportQuery(filters, ['pipeline', 'stage'])),
  ]);
  return {
    filters,
    notApplied: notApplied(filters, ALL_FILTERS),
    bucket: chosen,
    totals: figures(series.total),
    series: series.rows.map((r) => ({ period: r.group[chosen] ?? '', ...figures(r) })),
    top: {
      models: models.rows
        .slice(0, TOP)
        .map((r) => ({ model: r.group.model ?? '', provider: r.group.provider ?? '', ...figures(r) })),
      projects: projects.rows.slice(0, TOP).map((r) => ({ project: r.group.project ?? '', ...figures(r) })),
      stages: stages.rows
        .slice(0, TOP)
        .map((r) => ({ pipeline: r.group.pipeline ?? '', stage: r.group.stage ?? '', ...figures(r) })),
    },
  };
}

export function figures(r: ReportRow): Figures {
  return {
    events: r.events,
    calls: r.calls,
    energyKwh: r.energyKwh,
    carbonKg: r.carbonKg,
    carbonMarketKg: r.carbonMarketKg,
    embodiedKg: r.embodiedKg,
    waterL: r.waterL,
    costUsd: r.costUsd,
    pricedEvents: r.pricedEvents,
    marketFactorEvents: r.marketFactorEvents,
  };
}

const HOUR_MS = 3_600_000;

/** Hours for up to three days, days for up to about four months, months beyond: a readable number of points. */
async function autoBucket(ledger: Ledger, filters: DashboardFilters): Promise<Bucket> {
  let q = ledger.db
    .selectFrom('rollups')
    .select([sql<number>`min(hour)`.as('first'), sql<number>`max(hour)`.as('last')]);
  if (filters.fromMs !== undefined) q = q.where('hour', '>=', filters.fromMs / HOUR_MS);
  if (filters.toMs !== undefined) q = q.where('hour', '<', filters.toMs / HOUR_MS);
  for (const [k, v] of Object.entries(filters.where))
    if (v !== undefined) q = q.where(k as 'project', '=', v);
  const extent = await q.executeTakeFirst();
  if (!extent || extent.first === null || extent.last === null) return 'day';
  const hours = Number(extent.last) - Number(extent.first) + 1;
  if (hours <= 72) return 'hour';
  if (hours <= 24 * 124) return 'day';
  return 'month';
}
