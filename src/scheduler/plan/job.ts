import type { Series } from '../series.js';

/**
 * A deferrable piece of work with a flat power profile: it draws `energyKwh / durationMs` for its
 * whole duration, so a slot it fills holds `energyKwh × stepMs / durationMs` kWh.
 */
export interface Job {
  id: string;
  /** Energy of the whole job, kWh (from the footprint core's estimate, or given). */
  energyKwh: number;
  /** Running time, ms. Need not be a whole number of slots: the last slot is then partly used. */
  durationMs: number;
  /** Epoch ms before which the job may not start. */
  earliestStartMs: number;
  /** Epoch ms by which the job must have finished. */
  deadlineMs: number;
  /** Zones the job may run in, home zone first (run-now runs there); at least one. */
  regions: readonly string[];
  /** Whether the job may pause between slots (and then resume in the same zone). */
  interruptible: boolean;
}

/** One uninterrupted stretch of a plan, epoch ms, `endMs` exclusive. */
export interface JobRun {
  startMs: number;
  endMs: number;
}

/**
 * Where and when a job runs, and what that is worth. All grams are gCO2e (location-based). The
 * comparisons (`realisedG`, `runNowG`, `oracleG`) are under the actual signal when one was given,
 * otherwise under the signal the plan was made with.
 */
export interface JobPlan {
  jobId: string;
  region: string;
  /** Merged contiguous runs in time order. */
  runs: JobRun[];
  /** Slots the job occupies (a partly used last slot counts as one). */
  slots: number;
  energyKwh: number;
  /** Carbon of this plan under the signal it was planned with (the forecast): what the planner expected. */
  expectedG: number;
  /** Carbon of this plan under the actual signal (equals `expectedG` without one). */
  realisedG: number;
  /** Carbon of starting at the earliest start in the home zone (`regions[0]`) and running through. */
  runNowG: number;
  /** Carbon of the best plan with perfect knowledge (the actual signal) under the same constraints. */
  oracleG: number;
  oracleRegion: string;
  /** `runNowG − realisedG`. */
  savingVsRunNowG: number;
  /** `savingVsRunNowG / runNowG × 100` (0 when run-now emits nothing). */
  savingVsRunNowPct: number;
  /** `realisedG − oracleG`: what imperfect knowledge (or, for many jobs, capacity) cost. */
  shortfallVsOracleG: number;
}

/** What the planner believes (`signals`, usually a forecast) and, optionally, what happened. */
export interface PlanJobOptions {
  /** The realised intensities per zone, for the oracle and realised figures (same slot grid as the signal). */
  actual?: ReadonlyMap<string, Series>;
  /** Planning time, epoch ms: nothing starts before it (default: no limit beyond the job's earliest start). */
  nowMs?: number;
}
