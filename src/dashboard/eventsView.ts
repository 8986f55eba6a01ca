import { GreenprintError } from '../core/index.js';
import type { Ledger } from '../ledger/index.js';
import type { DashboardFilters, EventsPage } from './apiTypes.js';
import { notApplied } from './filters.js';

const MAX_LIMIT = 5000;

/** The latest stored events under the filters, newest first: the row-level export admins may take. */
export async function eventsView(
  ledger: Ledger,
  filters: DashboardFilters,
  limit: number,
): Promise<EventsPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new GreenprintError('invalid_input', `limit must be a whole number from 1 to ${MAX_LIMIT}.`);
  }
  let q = ledger.db
    .selectFrom('events')
    .selectAll()
    .orderBy('ts_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (filters.fromMs !== undefined) q = q.where('ts_ms', '>=', filters.fromMs);
  if (filters.toMs !== undefined) q = q.where('ts_ms', '<', filters.toMs);
  for (const dim of ['project', 'pipeline', 'stage', 'model'] as const) {
    const v = filters.where[dim];
    if (v !== undefined) q = q.where(dim, '=', v);
  }
  const rows = await q.execute();
  return {
    filters,
    notApplied: notApplied(filters, ['period', 'project', 'pipeline', 'stage', 'model']),
    limit,
    events: rows.map((r) => ({
      id: r.id,
      time: new Date(Number(r.ts_ms)).toISOString(),
      project: r.project,
      pipeline: r.pipeline,
      stage: r.stage,
      run: r.run,
      model: r.model,
      energyWh: { low: r.energy_wh_low, mid: r.energy_wh_mid, high: r.energy_wh_high },
      carbonG: r.carbon_g_mid,
      waterMl: r.water_ml_mid,
      embodiedG: r.embodied_g_mid,
      costUsd: r.cost_usd,
      methodologyVersion: r.methodology_version,
      tags: (JSON.parse(r.event_json) as { tags?: Record<string, string> }).tags ?? {},
    })),
  };
}
