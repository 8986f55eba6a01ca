import type { Batch } from '../batch/index.js';
import type { Ledger } from '../ledger/index.js';
import type { PlanningSignals } from '../scheduler/planningSignals.js';
import type { DashboardFilters, IntensityCurve, ScheduledBatch, SchedulerOverview } from './apiTypes.js';
import { inPeriod, notApplied } from './filters.js';

const HOUR_MS = 3_600_000;
/** Hours of the curve drawn before the earliest and after the latest time of the focus batch. */
const MARGIN_MS = 6 * HOUR_MS;
/** Longest curve drawn, so a batch with a week-long window stays readable. */
const MAX_SPAN_MS = 8 * 24 * HOUR_MS;

/**
 * Batches (queued and finished) with their plan and realised carbon from the `batches` table, and the
 * intensity curve of the focus batch's zone around its submission, planned and actual run times.
 */
export async function schedulerView(
  ledger: Ledger,
  signals: PlanningSignals,
  filters: DashboardFilters,
  focusId?: string,
): Promise<SchedulerOverview> {
  let q = ledger.db
    .selectFrom('batches')
    .select(['batch_json', 'created_at_ms', 'zone', 'planned_start_ms'])
    .orderBy('created_at_ms', 'desc')
    .orderBy('id', 'desc');
  if (filters.where.project !== undefined) q = q.where('project', '=', filters.where.project);
  if (filters.where.region !== undefined) q = q.where('zone', '=', filters.where.region);
  const rows = await q.execute();
  const batches: ScheduledBatch[] = [];
  for (const row of rows) {
    if (!inPeriod(filters, Number(row.planned_start_ms ?? row.created_at_ms))) continue;
    const b = JSON.parse(row.batch_json) as Batch;
    const g = b.greenprint ?? {};
    if (filters.where.pipeline && g.pipeline !== filters.where.pipeline) continue;
    if (filters.where.stage && g.stage !== filters.where.stage) continue;
    batches.push(toScheduled(b, row.zone));
  }
  const focus =
    batches.find((b) => b.id === focusId) ?? batches.find((b) => b.plannedStart !== null) ?? batches[0];
  return {
    filters,
    notApplied: notApplied(filters, ['period', 'project', 'pipeline', 'stage', 'region']),
    batches,
    focus: focus?.id ?? null,
    curve: focus ? await curveAround(signals, focus) : null,
  };
}

function iso(seconds: number | null | undefined): string | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString();
}

function toScheduled(b: Batch, zone: string): ScheduledBatch {
  const { plan, realised } = b.greenprint ?? {};
  const saving = realised
    ? realised.run_now_gco2e > 0
      ? ((realised.run_now_gco2e - realised.gco2e) / realised.run_now_gco2e) * 100
      : null
    : (plan?.saving_pct ?? null);
  return {
    id: b.id,
    project: b.project,
    status: b.status,
    pipeline: b.greenprint?.pipeline ?? null,
    stage: b.greenprint?.stage ?? null,
    zone: plan?.zone ?? zone,
    requests: b.request_counts?.total ?? 0,
    createdAt: iso(b.created_at) as string,
    expiresAt: iso(b.expires_at) as string,
    runNowAt: iso(plan?.run_now_at),
    plannedStart: iso(plan?.start_at),
    plannedEnd: iso(plan?.end_at),
    startedAt: iso(realised?.started_at),
    endedAt: iso(realised?.ended_at),
    energyWh: realised?.energy_wh ?? plan?.energy_wh ?? null,
    expectedG: plan?.expected_gco2e ?? null,
    runNowG: plan?.run_now_gco2e ?? null,
    realisedG: realised?.gco2e ?? null,
    realisedRunNowG: realised?.run_now_gco2e ?? null,
    savingPct: saving,
    signal: plan?.signal ?? null,
  };
}

async function curveAround(signals: PlanningSignals, b: ScheduledBatch): Promise<IntensityCurve | null> {
  if (!b.zone) return null;
  const times = [b.createdAt, b.runNowAt, b.plannedStart, b.plannedEnd, b.startedAt, b.endedAt, b.expiresAt]
    .filter((t): t is string => t !== null)
    .map((t) => Date.parse(t));
  const from = Math.min(...times) - MARGIN_MS;
  const to = Math.min(Math.max(...times) + MARGIN_MS, from + MAX_SPAN_MS);
  // The forecast as the planner saw it: made at submission, for the slots from there on.
  const submitted = Date.parse(b.runNowAt ?? b.createdAt);
  const [actual, forecast] = await Promise.all([
    signals.actual(b.zone, from, to),
    submitted < to ? signals.forecast(b.zone, submitted, to).catch(() => undefined) : undefined,
  ]);
  if (!actual) return null;
  const points: IntensityCurve['points'] = [];
  for (let i = 0; i < actual.values.length; i++) {
    const t = actual.startMs + i * actual.stepMs;
    const j = forecast ? Math.round((t - forecast.startMs) / forecast.stepMs) : -1;
    const f = forecast && j >= 0 ? forecast.values[j] : undefined;
    points.push({ t, actual: actual.values[i] as number, forecast: f ?? null });
  }
  return { zone: b.zone, source: actual.source, points };
}
