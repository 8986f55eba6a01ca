import { GreenprintError } from '../core/index.js';
import { planJob } from '../scheduler/plan/index.js';
import type { PlanningSignals } from '../scheduler/planningSignals.js';
import type { Series } from '../scheduler/series.js';
import type { BatchPlan } from './types.js';

export interface BatchWindowInput {
  batchId: string;
  signals: PlanningSignals;
  /** Upstreams that can serve the batch and the grid zone each runs in; the first is the default route. */
  candidates: { upstream: string; zone: string | undefined }[];
  energyWh: number;
  durationMs: number;
  fromMs: number;
  deadlineMs: number;
}

/**
 * The greenest contiguous run before the deadline over every candidate region (the planner's exact
 * single-job optimum), against starting at once on the default route. A batch whose regions have
 * no signal, or whose window is too short for its run, starts at once and says why.
 */
export async function planBatchWindow(input: BatchWindowInput): Promise<BatchPlan> {
  const { fromMs, deadlineMs, energyWh, durationMs } = input;
  const upstreamOf = new Map<string, string>();
  const signals = new Map<string, Series>();
  const unavailable: string[] = [];
  for (const { upstream, zone } of input.candidates) {
    if (!zone || upstreamOf.has(zone)) continue;
    let series: Series | undefined;
    try {
      series = await input.signals.forecast(zone, fromMs, deadlineMs);
    } catch (error) {
      // A provider that is down takes its zone out of the plan; the batch is still accepted.
      unavailable.push(`${zone}: ${(error as Error).message}`);
      continue;
    }
    if (!series) continue;
    upstreamOf.set(zone, upstream);
    signals.set(zone, series);
  }
  const first = input.candidates[0] as { upstream: string; zone: string | undefined };
  const atOnce = (why: string): BatchPlan => ({
    zone: first.zone ?? '',
    home_zone: first.zone ?? '',
    upstream: first.upstream,
    start_at: Math.floor(fromMs / 1000),
    end_at: Math.floor((fromMs + durationMs) / 1000),
    run_now_at: Math.floor(fromMs / 1000),
    energy_wh: energyWh,
    expected_gco2e: 0,
    run_now_gco2e: 0,
    saving_pct: 0,
    signal: `none: ${why}; runs at once`,
  });
  if (signals.size === 0) {
    return atOnce(
      unavailable.length > 0
        ? `no carbon-intensity signal could be read (${unavailable.join('; ')})`
        : 'no carbon-intensity signal for the regions of the upstreams serving it',
    );
  }
  try {
    const plan = planJob(
      {
        id: input.batchId,
        energyKwh: energyWh / 1000,
        durationMs,
        earliestStartMs: fromMs,
        deadlineMs,
        regions: [...signals.keys()],
        interruptible: false,
      },
      signals,
      { nowMs: fromMs },
    );
    const run = plan.runs[0] as { startMs: number; endMs: number };
    const stepMs = (signals.get(plan.region) as Series).stepMs;
    return {
      zone: plan.region,
      home_zone: [...signals.keys()][0] as string,
      upstream: upstreamOf.get(plan.region) as string,
      start_at: Math.floor(run.startMs / 1000),
      end_at: Math.floor(run.endMs / 1000),
      // The planner's run-now starts at the first slot boundary from submission.
      run_now_at: Math.floor((Math.ceil(fromMs / stepMs) * stepMs) / 1000),
      energy_wh: energyWh,
      expected_gco2e: plan.expectedG,
      run_now_gco2e: plan.runNowG,
      saving_pct: plan.savingVsRunNowPct,
      signal: (signals.get(plan.region) as Series).source,
    };
  } catch (error) {
    if (error instanceof GreenprintError && error.code === 'invalid_input') return atOnce(error.message);
    throw error;
  }
}
