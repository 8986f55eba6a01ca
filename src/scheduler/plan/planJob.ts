import type { Series } from '../series.js';
import type { Job, JobPlan, PlanJobOptions } from './job.js';
import { validateJob } from './jobWindow.js';
import { bestPlacement, describePlan, jobWindows, jobZones, type Placement } from './placement.js';
import { SignalIndex } from './zoneIndex.js';

/**
 * The exact lowest-carbon plan for one job under `signals` (gCO2e/kWh per zone; what the planner
 * believes, usually a forecast): in each allowed zone the best contiguous window (sliding sums) or,
 * for an interruptible job, the lowest slots; then the zone with the least carbon (ties: the earlier
 * zone, the earlier slot). Runs start on slot boundaries.
 *
 * Throws `invalid_input` when the job is malformed, its deadline leaves too little time, or a
 * signal does not cover its window (naming zone and range); `unknown_region` for a zone without a
 * signal.
 */
export function planJob(
  job: Job,
  signals: ReadonlyMap<string, Series>,
  options: PlanJobOptions = {},
): JobPlan {
  const { nowMs, actual } = options;
  validateJob(job, nowMs);
  const zones = jobZones(job, new SignalIndex(signals), 'signal');
  const windows = jobWindows(job, zones, nowMs, 'signal');
  // Without capacity every window that passed jobWindow has room.
  const placement = bestPlacement(job, zones, windows) as Placement;
  return describePlan(job, placement, zones, actual && new SignalIndex(actual), nowMs);
}
