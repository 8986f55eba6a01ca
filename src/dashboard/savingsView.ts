import { type Estimator, findModel, type UsageEvent } from '../core/index.js';
import type { Ledger } from '../ledger/index.js';
import type { DashboardFilters } from './apiTypes.js';
import { type Amounts, LEVERS, type Lever, type LeverSaving, type Savings } from './apiTypes.js';
import { ALL_FILTERS, inPeriod, notApplied } from './filters.js';

const ZERO: Amounts = { energyWh: 0, carbonG: 0, costUsd: 0 };

const DESCRIPTIONS: Record<Lever, { label: string; method: string; section: string }> = {
  cache: {
    label: 'Cache hits',
    method:
      'Each answer served from the gateway cache is recorded with zero energy; the call it replaced was estimated at the time and kept in its tags (avoidedEnergyWh, avoidedCo2eG, avoidedCostUsd). Avoided = those tags − the recorded hit.',
    section: '13d',
  },
  routing: {
    label: 'Routing and cascades (answered by another model)',
    method:
      'A call answered by another model than the client asked for (a cascade step or route; the requested model is kept in tags.alias) is re-estimated with the same tokens on the requested model. Avoided = that estimate − the recorded call. Gateway aliases that are not catalog models have no counterfactual and are skipped.',
    section: '13d',
  },
  'cascade-discarded': {
    label: 'Cascade answers thrown away',
    method:
      'Answers a cascade computed and discarded before escalating are recorded as their own events (tags.cascade = discarded). They are the cascade’s overhead: counted as negative savings.',
    section: '13d',
  },
  limits: {
    label: 'Prompt and output limits',
    method:
      'The gateway caps max_tokens or refuses over-long prompts and marks the answer with x-greenprint-limit, but records no counterfactual in the ledger, so nothing is summed here.',
    section: '13d',
  },
  deferral: {
    label: 'Deferral (carbon-aware batches)',
    method:
      'Finished batches: realised CO2e (metered energy × actual intensity of the slots it ran in) against run-now (the same energy from the submission slot, actual intensities). Energy and cost are unchanged by moving work in time.',
    section: '13c',
  },
};

/**
 * What each lever avoided against its counterfactual. Lever events are found in the events table by
 * their tags (a LIKE on the stored JSON narrows the scan before parsing), because the rollups keep no
 * tag dimension; deferral comes from the batches table's realised and run-now columns.
 */
export async function savingsView(
  ledger: Ledger,
  estimator: Estimator,
  filters: DashboardFilters,
): Promise<Savings> {
  const acc = new Map<Lever, LeverSaving>(
    LEVERS.map((lever) => [
      lever,
      {
        lever,
        ...DESCRIPTIONS[lever],
        status: lever === 'limits' ? 'not_recorded' : 'measured',
        count: 0,
        counterfactual: { ...ZERO },
        actual: { ...ZERO },
        avoided: { ...ZERO },
        skipped: 0,
      },
    ]),
  );
  const series = new Map<string, { day: string; lever: Lever; carbonG: number }>();
  const add = (lever: Lever, ms: number, counterfactual: Amounts, actual: Amounts) => {
    const s = acc.get(lever) as LeverSaving;
    s.count += 1;
    for (const k of ['energyWh', 'carbonG', 'costUsd'] as const) {
      s.counterfactual[k] += counterfactual[k];
      s.actual[k] += actual[k];
      s.avoided[k] += counterfactual[k] - actual[k];
    }
    const day = new Date(ms).toISOString().slice(0, 10);
    const key = `${day}\u0001${lever}`;
    const point = series.get(key) ?? { day, lever, carbonG: 0 };
    point.carbonG += counterfactual.carbonG - actual.carbonG;
    series.set(key, point);
  };

  for (const row of await leverEvents(ledger, filters)) {
    const event = JSON.parse(row.event_json) as UsageEvent;
    const tags = event.tags ?? {};
    const where = filters.where;
    if (where.provider || where.region) {
      // Provider and region are the estimator's resolution (as in the rollups), not the raw event fields.
      const impact = safeEstimate(estimator, event);
      if (!impact) continue;
      if (where.provider && impact.model.provider !== where.provider) continue;
      if (where.region && impact.assumptions.grid.zone !== where.region) continue;
    }
    const ms = Number(row.ts_ms);
    const actual: Amounts = {
      energyWh: Number(row.energy_wh_mid),
      carbonG: Number(row.carbon_g_mid),
      costUsd: Number(row.cost_usd ?? 0),
    };
    if (tags.cache === 'hit') {
      if (tags.avoidedEnergyWh === undefined) {
        (acc.get('cache') as LeverSaving).skipped += 1;
        continue;
      }
      add(
        'cache',
        ms,
        {
          energyWh: Number(tags.avoidedEnergyWh),
          carbonG: Number(tags.avoidedCo2eG ?? 0),
          costUsd: Number(tags.avoidedCostUsd ?? 0),
        },
        actual,
      );
    } else if (tags.cascade === 'discarded') {
      add('cascade-discarded', ms, ZERO, actual);
    } else if (tags.alias) {
      const requested = findModel(estimator.models, tags.alias);
      // A pure gateway alias (not a catalog model) or a call answered by the model asked for: no lever.
      if (!requested || requested.id === row.model) {
        if (!requested) (acc.get('routing') as LeverSaving).skipped += 1;
        continue;
      }
      const { responseModel: _r, measuredEnergy: _m, ...rest } = event;
      const impact = safeEstimate(estimator, {
        ...rest,
        requestModel: requested.id,
        provider: requested.provider,
      });
      if (!impact) {
        (acc.get('routing') as LeverSaving).skipped += 1;
        continue;
      }
      add(
        'routing',
        ms,
        {
          energyWh: impact.energyWh.mid,
          carbonG: impact.carbonGCO2e.location.mid,
          costUsd: impact.costUsd?.mid ?? 0,
        },
        actual,
      );
    }
  }

  const expectedDeferral = { batches: 0, carbonG: 0 };
  if (!filters.where.provider && !filters.where.model) {
    for (const b of await deferredBatches(ledger, filters)) {
      if (b.realised_g !== null && b.realised_run_now_g !== null) {
        const energyWh = Number(b.energy_wh ?? 0);
        add(
          'deferral',
          Number(b.planned_start_ms ?? b.created_at_ms),
          { energyWh, carbonG: Number(b.realised_run_now_g), costUsd: 0 },
          { energyWh, carbonG: Number(b.realised_g), costUsd: 0 },
        );
      } else if (
        b.expected_g !== null &&
        b.run_now_g !== null &&
        !['failed', 'cancelled', 'expired'].includes(b.status)
      ) {
        expectedDeferral.batches += 1;
        expectedDeferral.carbonG += Number(b.run_now_g) - Number(b.expected_g);
      }
    }
  }

  const levers = [...acc.values()];
  const total = { ...ZERO };
  for (const l of levers)
    for (const k of ['energyWh', 'carbonG', 'costUsd'] as const) total[k] += l.avoided[k];
  return {
    filters,
    notApplied: notApplied(filters, ALL_FILTERS),
    levers,
    expectedDeferral,
    total,
    series: [...series.values()].sort((a, b) => a.day.localeCompare(b.day) || a.lever.localeCompare(b.lever)),
  };
}

function safeEstimate(estimator: Estimator, event: UsageEvent) {
  try {
    return estimator.estimate(event);
  } catch {
    return undefined;
  }
}

/** Events that carry a lever's tag, narrowed by the indexed dimensions the events table has. */
async function leverEvents(ledger: Ledger, filters: DashboardFilters) {
  let q = ledger.db
    .selectFrom('events')
    .select(['ts_ms', 'model', 'energy_wh_mid', 'carbon_g_mid', 'cost_usd', 'event_json'])
    .where((eb) =>
      eb.or([
        eb('event_json', 'like', '%"cache":"hit"%'),
        eb('event_json', 'like', '%"cascade":"discarded"%'),
        eb('event_json', 'like', '%"alias":"%'),
      ]),
    );
  if (filters.fromMs !== undefined) q = q.where('ts_ms', '>=', filters.fromMs);
  if (filters.toMs !== undefined) q = q.where('ts_ms', '<', filters.toMs);
  for (const dim of ['project', 'pipeline', 'stage', 'model'] as const) {
    const v = filters.where[dim];
    if (v !== undefined) q = q.where(dim, '=', v);
  }
  return q.execute();
}

/** Batches in scope: by project, zone (the region filter) and, through `batch_json`, pipeline and stage. */
async function deferredBatches(ledger: Ledger, filters: DashboardFilters) {
  let q = ledger.db
    .selectFrom('batches')
    .select([
      'status',
      'created_at_ms',
      'planned_start_ms',
      'energy_wh',
      'expected_g',
      'run_now_g',
      'realised_g',
      'realised_run_now_g',
      'batch_json',
    ]);
  if (filters.where.project !== undefined) q = q.where('project', '=', filters.where.project);
  if (filters.where.region !== undefined) q = q.where('zone', '=', filters.where.region);
  const rows = await q.execute();
  return rows.filter((r) => {
    if (!inPeriod(filters, Number(r.planned_start_ms ?? r.created_at_ms))) return false;
    if (!filters.where.pipeline && !filters.where.stage) return true;
    const g = (JSON.parse(r.batch_json) as { greenprint?: { pipeline?: string; stage?: string } }).greenprint;
    return (
      (!filters.where.pipeline || g?.pipeline === filters.where.pipeline) &&
      (!filters.where.stage || g?.stage === filters.where.stage)
    );
  });
}
