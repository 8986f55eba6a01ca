import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';
import type { Job, JobPlan, JobRun } from './job.js';
import { type JobWindow, jobWindow, unknownRegion } from './jobWindow.js';
import { type Prices, pricedContiguous, pricedInterruptible } from './pricedSearch.js';
import { bestContiguous, bestInterruptible, type SearchResult } from './slotSearch.js';
import type { SignalIndex, ZoneIndex } from './zoneIndex.js';

/** A chosen set of slots in one of the job's zones. */
export interface Placement {
  /** Index into `job.regions`. */
  region: number;
  /** Slot indices on that zone's series, ascending. */
  slots: Int32Array;
  /** The slot used for the fraction `rho` only. */
  partial: number;
  rho: number;
  /** Grams under the signal the placement was searched on. */
  grams: number;
}

/** The job's zones on a signal, in `job.regions` order; throws `unknown_region` for a missing one. */
export function jobZones(job: Job, index: SignalIndex, what: string): ZoneIndex[] {
  return job.regions.map((zone) => {
    const ix = index.get(zone);
    if (!ix) throw unknownRegion(job, zone, index.zones, what);
    return ix;
  });
}

export function jobWindows(
  job: Job,
  zones: ZoneIndex[],
  nowMs: number | undefined,
  what: string,
): JobWindow[] {
  return zones.map((ix) => jobWindow(job, ix.series, nowMs, what));
}

const TIE = 1e-9;
const found: SearchResult = { cost: 0, partial: 0 };
let trial = new Int32Array(256);
let kept = new Int32Array(256);

/**
 * The cheapest placement over the job's zones (ties to the earlier zone in `job.regions`), skipping
 * slots whose `free(region)` count is ≤ 0. Undefined when no zone has room. With `prices`, the
 * choice is made on intensity plus capacity price (the returned grams are still true grams).
 */
export function bestPlacement(
  job: Job,
  zones: readonly ZoneIndex[],
  windows: readonly JobWindow[],
  free?: (region: number) => Int32Array | undefined,
  prices?: (region: number) => Prices | undefined,
): Placement | undefined {
  let bestMean = 0;
  let bestRegion = -1;
  let bestStart = -1;
  let bestPartial = -1;
  let bestK = 0;
  let bestRho = 1;
  for (let r = 0; r < zones.length; r++) {
    const ix = zones[r] as ZoneIndex;
    const { from, to, k, rho } = windows[r] as JobWindow;
    const mask = free?.(r);
    const price = prices?.(r);
    // A job of energy E puts E / (k − 1 + rho) kWh in each full slot.
    const perUnit = job.energyKwh > 0 ? (k - 1 + rho) / job.energyKwh : 1e12;
    let ok: boolean;
    let start = -1;
    if (job.interruptible) {
      if (trial.length < k) trial = new Int32Array(k * 2);
      ok = price
        ? pricedInterruptible(ix, from, to, k, rho, mask, price, perUnit, trial, found)
        : bestInterruptible(ix, from, to, k, rho, mask, trial, found);
    } else {
      start = price
        ? pricedContiguous(ix, from, to, k, rho, mask, price, perUnit, found)
        : bestContiguous(ix, from, to, k, rho, mask, found);
      ok = start >= 0;
    }
    if (!ok) continue;
    // Compare mean intensity, so that zones on different slot grids compare fairly.
    const mean = found.cost / (k - 1 + rho);
    if (bestRegion < 0 || mean < bestMean - TIE * Math.abs(bestMean)) {
      bestMean = mean;
      bestRegion = r;
      bestStart = start;
      bestPartial = found.partial;
      bestK = k;
      bestRho = rho;
      if (job.interruptible) {
        if (kept.length < k) kept = new Int32Array(k * 2);
        kept.set(trial.subarray(0, k));
      }
    }
  }
  if (bestRegion < 0) return undefined;
  const slots = new Int32Array(bestK);
  if (job.interruptible) slots.set(kept.subarray(0, bestK));
  else for (let i = 0; i < bestK; i++) slots[i] = bestStart + i;
  const values = (zones[bestRegion] as ZoneIndex).values;
  return {
    region: bestRegion,
    slots,
    partial: bestPartial,
    rho: bestRho,
    grams: prices ? gramsAt(job, values, slots, bestPartial, bestRho) : job.energyKwh * bestMean,
  };
}

/** Grams of the given slots on `values` (shifted by `offset`), the partial slot weighted by `rho`. */
export function gramsAt(
  job: Job,
  values: Float64Array,
  slots: Int32Array,
  partial: number,
  rho: number,
  offset = 0,
): number {
  let sum = 0;
  for (let i = 0; i < slots.length; i++) {
    const t = slots[i] as number;
    sum += (t === partial ? rho : 1) * (values[t + offset] as number);
  }
  return (job.energyKwh * sum) / (slots.length - 1 + rho);
}

/** Slot offset from `signal`'s grid to `actual`'s; throws unless both share step and phase. */
export function gridOffset(job: Job, signal: Series, actual: Series): number {
  const offset = (signal.startMs - actual.startMs) / signal.stepMs;
  if (actual.stepMs !== signal.stepMs || !Number.isInteger(offset)) {
    throw new GreenprintError(
      'invalid_input',
      `Job ${JSON.stringify(job.id)}: the actual series for zone ${signal.zone} (step ${actual.stepMs} ms from ${actual.startMs}) is not on the signal's slot grid (step ${signal.stepMs} ms from ${signal.startMs}). Resample one onto the other.`,
      { jobId: job.id, zone: signal.zone },
    );
  }
  return offset;
}

/** The run-now placement: from the first usable slot in the home zone, straight through. */
export function runNowPlacement(job: Job, window: JobWindow): Placement {
  const slots = new Int32Array(window.k);
  for (let i = 0; i < window.k; i++) slots[i] = window.from + i;
  return { region: 0, slots, partial: window.from + window.k - 1, rho: window.rho, grams: Number.NaN };
}

export function runsOf(job: Job, series: Series, p: Placement): JobRun[] {
  const runs: JobRun[] = [];
  const { startMs, stepMs } = series;
  const lastMs = job.durationMs - (p.slots.length - 1) * stepMs;
  let open: JobRun | undefined;
  for (const t of p.slots) {
    const s = startMs + t * stepMs;
    const e = s + (t === p.partial ? lastMs : stepMs);
    if (open && open.endMs === s) open.endMs = e;
    else {
      open = { startMs: s, endMs: e };
      runs.push(open);
    }
  }
  return runs;
}

/**
 * Everything a caller sees about a placement. `oracle`, when given, is the placement on the actual
 * signal (for many jobs, the capacity-respecting one); otherwise the single-job optimum there.
 */
export function describePlan(
  job: Job,
  p: Placement,
  zones: readonly ZoneIndex[],
  actual: SignalIndex | undefined,
  nowMs: number | undefined,
  oracle?: Placement,
): JobPlan {
  const ix = zones[p.region] as ZoneIndex;
  const expectedG = gramsAt(job, ix.values, p.slots, p.partial, p.rho);
  let realisedG = expectedG;
  let runNowG: number;
  let oracleG = expectedG;
  let oracleRegion = job.regions[p.region] as string;
  if (actual) {
    const actualZones = jobZones(job, actual, 'actual signal');
    const act = actualZones[p.region] as ZoneIndex;
    const offset = gridOffset(job, ix.series, act.series);
    // Same grid, so covering the job's window on the actuals covers the plan's slots.
    const windows = jobWindows(job, actualZones, nowMs, 'actual signal');
    realisedG = gramsAt(job, act.values, p.slots, p.partial, p.rho, offset);
    runNowG = placementGrams(job, actualZones, runNowPlacement(job, windows[0] as JobWindow));
    const best = oracle ?? (bestPlacement(job, actualZones, windows) as Placement);
    oracleG = placementGrams(job, actualZones, best);
    oracleRegion = job.regions[best.region] as string;
  } else {
    const home = zones[0] as ZoneIndex;
    runNowG = placementGrams(job, zones, runNowPlacement(job, jobWindow(job, home.series, nowMs, 'signal')));
  }
  const savingVsRunNowG = runNowG - realisedG;
  return {
    jobId: job.id,
    region: job.regions[p.region] as string,
    runs: runsOf(job, ix.series, p),
    slots: p.slots.length,
    energyKwh: job.energyKwh,
    expectedG,
    realisedG,
    runNowG,
    oracleG,
    oracleRegion,
    savingVsRunNowG,
    savingVsRunNowPct: runNowG > 0 ? (savingVsRunNowG / runNowG) * 100 : 0,
    shortfallVsOracleG: realisedG - oracleG,
  };
}

function placementGrams(job: Job, zones: readonly ZoneIndex[], p: Placement): number {
  return gramsAt(job, (zones[p.region] as ZoneIndex).values, p.slots, p.partial, p.rho);
}
