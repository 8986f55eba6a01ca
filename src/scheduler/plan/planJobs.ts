import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';
import type { Job, JobPlan, PlanJobOptions } from './job.js';
import { validateJob } from './jobWindow.js';
import { lagrangianBound, type PreparedJob } from './lagrangianBound.js';
import { bestPlacement, describePlan, gramsAt, jobWindows, jobZones, type Placement } from './placement.js';
import type { Prices } from './pricedSearch.js';
import { SignalIndex, type ZoneIndex } from './zoneIndex.js';

/**
 * How many jobs may run at once in a zone: one number for every slot, or one per slot of that zone's
 * signal series (`Int32Array`, indexed like `series.values`). `undefined` or `Infinity`: no limit.
 */
export type CapacityFor = (zone: string) => number | Int32Array | undefined;

export interface PlanJobsOptions extends PlanJobOptions {
  capacity?: CapacityFor;
  /** Subgradient steps for the lower bound when capacity binds (default 20; 0 keeps the capacity-free bound and skips the price-guided pass). */
  boundIterations?: number;
  /** Improvement sweeps after the greedy pass (default 2). */
  improvementPasses?: number;
}

export interface UnplacedJob {
  jobId: string;
  reason: string;
}

/** Plans for many jobs sharing zone capacity, with totals and a certified optimality gap. */
export interface JobsPlan {
  /** One plan per placed job, in input order. */
  plans: JobPlan[];
  /** Jobs the greedy could not fit under capacity (never any without a capacity limit). */
  unplaced: UnplacedJob[];
  /**
   * `per-job optimum` when capacity never binds (the plans are each job's exact optimum, gap 0);
   * otherwise `greedy`: marginal-saving greedy under capacity, then improvement sweeps.
   */
  method: 'per-job optimum' | 'greedy';
  capacityBinds: boolean;
  /** Totals over the placed jobs, gCO2e (see JobPlan for each). */
  expectedG: number;
  realisedG: number;
  runNowG: number;
  oracleG: number;
  /**
   * A lower bound on the expected carbon of any capacity-respecting plan of all jobs (under the
   * signal): the best of the capacity-free per-job optima and a Lagrangian relaxation.
   */
  lowerBoundG: number;
  /** `(expectedG − lowerBoundG) / lowerBoundG × 100`: the most the plan can be above optimal. Null when jobs are unplaced. */
  gapPct: number | null;
  boundIterations: number;
}

const TIE = 1e-9;

/**
 * Plans many jobs at once. Without capacity limits (or when the per-job optima fit them) every job
 * gets its exact single-job optimum, as `planJob` would give. When capacity binds, jobs are placed
 * greedily, largest saving at stake first, each in its best slots that still have room; improvement
 * sweeps then move any job whose best feasible placement got cheaper. The result carries a lower
 * bound and the gap to it (see docs/decisions/2026-11-26-scheduler-planning.md).
 *
 * With `actual`, the oracle is the same planner run on the actuals (capacity included).
 */
export function planJobs(
  jobs: readonly Job[],
  signals: ReadonlyMap<string, Series>,
  options: PlanJobsOptions = {},
): JobsPlan {
  const { nowMs, actual, capacity } = options;
  const seen = new Set<string>();
  for (const job of jobs) {
    validateJob(job, nowMs);
    if (seen.has(job.id)) {
      throw new GreenprintError(
        'invalid_input',
        `Job id ${JSON.stringify(job.id)} appears twice; ids must be unique.`,
        {
          jobId: job.id,
        },
      );
    }
    seen.add(job.id);
  }
  const sig = prepare(jobs, new SignalIndex(signals), nowMs, 'signal');
  const capacities = capacity ? sig.zones.map((ix) => capacityOf(capacity, ix.series)) : undefined;
  const solved = solve(sig, capacities, options);

  let oracle: (Placement | undefined)[] | undefined;
  const actualIndex = actual ? new SignalIndex(actual) : undefined;
  if (actualIndex) {
    const act = prepare(jobs, actualIndex, nowMs, 'actual signal');
    const actCapacities = capacity ? act.zones.map((ix) => capacityOf(capacity, ix.series)) : undefined;
    oracle = solve(act, actCapacities, { ...options, boundIterations: 0 }).placements;
  }

  const plans: JobPlan[] = [];
  const unplaced: UnplacedJob[] = [];
  let expectedG = 0;
  let realisedG = 0;
  let runNowG = 0;
  let oracleG = 0;
  for (let j = 0; j < jobs.length; j++) {
    const pj = sig.jobs[j] as PreparedJob;
    const p = solved.placements[j];
    if (!p) {
      unplaced.push({
        jobId: pj.job.id,
        reason: 'no slots with capacity left in any of its zones before the deadline',
      });
      continue;
    }
    // An oracle that could not fit the job (capacity) falls back to the single-job optimum on the actuals.
    const plan = describePlan(pj.job, p, pj.zones, actualIndex, nowMs, oracle?.[j]);
    plans.push(plan);
    expectedG += plan.expectedG;
    realisedG += plan.realisedG;
    runNowG += plan.runNowG;
    oracleG += plan.oracleG;
  }
  const lowerBoundG = solved.lowerBoundG;
  return {
    plans,
    unplaced,
    method: solved.binds ? 'greedy' : 'per-job optimum',
    capacityBinds: solved.binds,
    expectedG,
    realisedG,
    runNowG,
    oracleG,
    lowerBoundG,
    gapPct:
      unplaced.length > 0
        ? null
        : lowerBoundG > 0
          ? Math.max(0, (expectedG - lowerBoundG) / lowerBoundG) * 100
          : 0,
    boundIterations: solved.boundIterations,
  };
}

interface Prepared {
  jobs: PreparedJob[];
  /** Every zone some job may use, in first-use order. */
  zones: ZoneIndex[];
}

function prepare(
  jobs: readonly Job[],
  index: SignalIndex,
  nowMs: number | undefined,
  what: string,
): Prepared {
  const zones: ZoneIndex[] = [];
  const ids = new Map<ZoneIndex, number>();
  const prepared = jobs.map((job) => {
    const jz = jobZones(job, index, what);
    const zoneIds = new Int32Array(jz.length);
    jz.forEach((ix, r) => {
      let id = ids.get(ix);
      if (id === undefined) {
        id = zones.length;
        zones.push(ix);
        ids.set(ix, id);
      }
      zoneIds[r] = id;
    });
    return { job, zones: jz, windows: jobWindows(job, jz, nowMs, what), zoneIds };
  });
  return { jobs: prepared, zones };
}

function capacityOf(capacity: CapacityFor, series: Series): Int32Array | undefined {
  const c = capacity(series.zone);
  if (c === undefined || c === Number.POSITIVE_INFINITY) return undefined;
  const n = series.values.length;
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 0) {
      throw new GreenprintError(
        'invalid_input',
        `Capacity for zone ${series.zone} must be a whole number of jobs ≥ 0 (or Infinity), got ${c}.`,
        { zone: series.zone },
      );
    }
    return new Int32Array(n).fill(c);
  }
  if (c.length < n) {
    throw new GreenprintError(
      'invalid_input',
      `Capacity for zone ${series.zone} has ${c.length} slots but the zone's signal has ${n}; give one count per signal slot.`,
      { zone: series.zone },
    );
  }
  return c.slice(0, n);
}

interface Solved {
  placements: (Placement | undefined)[];
  binds: boolean;
  lowerBoundG: number;
  boundIterations: number;
}

function solve(
  prepared: Prepared,
  capacities: (Int32Array | undefined)[] | undefined,
  options: PlanJobsOptions,
): Solved {
  const { jobs } = prepared;
  const placements: (Placement | undefined)[] = jobs.map((pj) => bestPlacement(pj.job, pj.zones, pj.windows));
  let capacityFreeG = 0;
  for (const p of placements) capacityFreeG += (p as Placement).grams;
  if (!capacities || capacities.every((c) => c === undefined)) {
    return { placements, binds: false, lowerBoundG: capacityFreeG, boundIterations: 0 };
  }
  const free = capacities.map((c) => c?.slice());
  let binds = false;
  for (let j = 0; j < jobs.length; j++) {
    if (book(free, jobs[j] as PreparedJob, placements[j] as Placement, -1)) binds = true;
  }
  if (!binds) return { placements, binds: false, lowerBoundG: capacityFreeG, boundIterations: 0 };

  // Greedy by saving at stake: the grams a job saves at its unconstrained best against its
  // window's average, so jobs with most to lose pick their slots first.
  const order = greedyOrder(jobs, placements as Placement[]);
  const passes = options.improvementPasses ?? 2;
  const unconstrainedG = Float64Array.from(placements, (p) => (p as Placement).grams);
  let chosen = greedy(jobs, capacities, order, unconstrainedG, passes, undefined);
  const iterations = options.boundIterations ?? 20;
  const bound = lagrangianBound(
    jobs,
    prepared.zones.length,
    capacities,
    prepared.zones.map((ix) => ix.values),
    chosen.complete ? chosen.totalG : capacityFreeG * 1.1,
    iterations,
  );
  if (iterations > 0) {
    // Lagrangian heuristic: the same greedy, choosing on intensity plus the bound's capacity
    // prices, so jobs that would crowd a slot spread out before they collide.
    const priced = greedy(jobs, capacities, order, unconstrainedG, passes, (z) => bound.prices[z]);
    if (
      (priced.complete && !chosen.complete) ||
      (priced.complete === chosen.complete && priced.totalG < chosen.totalG)
    ) {
      chosen = priced;
    }
  }
  return {
    placements: chosen.placements,
    binds: true,
    lowerBoundG: Math.max(capacityFreeG, bound.boundG),
    boundIterations: bound.iterations,
  };
}

interface Greedy {
  placements: (Placement | undefined)[];
  totalG: number;
  complete: boolean;
}

/**
 * Places jobs in `order`, each in its best slots that still have room (on intensity, or on
 * intensity plus `prices` when given), then sweeps: every job is lifted out and put back at its
 * best feasible placement on true grams if that is cheaper. Sweeps never make the total worse.
 */
function greedy(
  jobs: readonly PreparedJob[],
  capacities: readonly (Int32Array | undefined)[],
  order: Int32Array,
  unconstrainedG: Float64Array,
  passes: number,
  prices: ((zone: number) => Prices | undefined) | undefined,
): Greedy {
  const remaining = capacities.map((c) => c?.slice());
  const placements: (Placement | undefined)[] = new Array(jobs.length).fill(undefined);
  const freeOf = (pj: PreparedJob) => (r: number) => remaining[pj.zoneIds[r] as number];
  const pricesOf = prices && ((pj: PreparedJob) => (r: number) => prices(pj.zoneIds[r] as number));
  for (const j of order) {
    const pj = jobs[j] as PreparedJob;
    const p = bestPlacement(pj.job, pj.zones, pj.windows, freeOf(pj), pricesOf?.(pj));
    placements[j] = p;
    if (p) book(remaining, pj, p, -1);
  }
  const excess = new Float64Array(jobs.length);
  const sweep = Int32Array.from(order);
  for (let pass = 0; pass < passes; pass++) {
    // Jobs furthest above their own optimum move first: they gain most from a freed slot.
    for (let j = 0; j < jobs.length; j++) {
      const p = placements[j];
      excess[j] = p ? p.grams - (unconstrainedG[j] as number) : Number.POSITIVE_INFINITY;
    }
    sweep.sort((a, b) => (excess[b] as number) - (excess[a] as number) || a - b);
    let moved = 0;
    for (const j of sweep) {
      const pj = jobs[j] as PreparedJob;
      const current = placements[j];
      if (current) book(remaining, pj, current, +1);
      const p = bestPlacement(pj.job, pj.zones, pj.windows, freeOf(pj));
      if (p && (!current || p.grams < current.grams - TIE * Math.abs(current.grams))) {
        placements[j] = p;
        moved++;
      }
      const kept = placements[j];
      if (kept) book(remaining, pj, kept, -1);
    }
    if (moved === 0) break;
  }
  if (placements.includes(undefined)) repairUnplaced(jobs, placements, remaining);
  let totalG = 0;
  let complete = true;
  for (const p of placements) {
    if (p) totalG += p.grams;
    else complete = false;
  }
  return { placements, totalG, complete };
}

/**
 * Ejection repair for jobs the greedy left out: in each of the job's zones, take the placement that
 * needs the fewest full slots, lift one occupant out of each full slot, put the job in, and re-place
 * the lifted jobs wherever they fit best. Kept only if every lifted job finds room again.
 */
function repairUnplaced(
  jobs: readonly PreparedJob[],
  placements: (Placement | undefined)[],
  remaining: (Int32Array | undefined)[],
): void {
  const freeOf = (pj: PreparedJob) => (r: number) => remaining[pj.zoneIds[r] as number];
  for (let u = 0; u < jobs.length; u++) {
    if (placements[u]) continue;
    const pu = jobs[u] as PreparedJob;
    for (let r = 0; r < pu.zones.length && !placements[u]; r++) {
      const z = pu.zoneIds[r] as number;
      const free = remaining[z];
      if (!free) continue;
      const target = leastBlocked(pu, r, free);
      if (!target) continue;
      const lifted: number[] = [];
      for (const t of target.slots) {
        if ((free[t] as number) > 0) continue;
        const occupant = placements.findIndex(
          (p, j) =>
            p !== undefined &&
            !lifted.includes(j) &&
            (jobs[j] as PreparedJob).zoneIds[p.region] === z &&
            p.slots.includes(t),
        );
        if (occupant < 0) break;
        lifted.push(occupant);
        book(remaining, jobs[occupant] as PreparedJob, placements[occupant] as Placement, +1);
      }
      const before = lifted.map((j) => placements[j] as Placement);
      for (const j of lifted) placements[j] = undefined;
      if (target.slots.every((t) => (free[t] as number) > 0)) {
        book(remaining, pu, target, -1);
        placements[u] = target;
        let ok = true;
        for (const j of lifted) {
          const pj = jobs[j] as PreparedJob;
          const p = bestPlacement(pj.job, pj.zones, pj.windows, freeOf(pj));
          placements[j] = p;
          if (!p) {
            ok = false;
            break;
          }
          book(remaining, pj, p, -1);
        }
        if (ok) continue;
        for (const j of lifted) {
          const p = placements[j];
          if (p) book(remaining, jobs[j] as PreparedJob, p, +1);
        }
        book(remaining, pu, target, +1);
        placements[u] = undefined;
      }
      lifted.forEach((j, i) => {
        placements[j] = before[i];
        book(remaining, jobs[j] as PreparedJob, before[i] as Placement, -1);
      });
    }
  }
}

/** The job's placement in zone `r` that uses the fewest slots without room (then the cheapest). */
function leastBlocked(pj: PreparedJob, r: number, free: Int32Array): Placement | undefined {
  const { job } = pj;
  const ix = pj.zones[r] as ZoneIndex;
  const { from, to, k, rho } = pj.windows[r] as { from: number; to: number; k: number; rho: number };
  const v = ix.values;
  const slots = new Int32Array(k);
  let partial: number;
  if (job.interruptible) {
    const order = Array.from({ length: to - from }, (_, i) => from + i).sort(
      (a, b) =>
        Number((free[a] as number) <= 0) - Number((free[b] as number) <= 0) ||
        (v[a] as number) - (v[b] as number) ||
        a - b,
    );
    const picked = order.slice(0, k);
    partial = picked.reduce((m, t) => ((v[t] as number) >= (v[m] as number) ? t : m), picked[0] as number);
    slots.set(picked.sort((a, b) => a - b));
  } else {
    let best = -1;
    let bestBlocked = Number.POSITIVE_INFINITY;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let s = from; s + k <= to; s++) {
      let blocked = 0;
      for (let t = s; t < s + k; t++) if ((free[t] as number) <= 0) blocked++;
      const cost = (ix.prefix[s + k] as number) - (ix.prefix[s] as number);
      if (blocked < bestBlocked || (blocked === bestBlocked && cost < bestCost)) {
        best = s;
        bestBlocked = blocked;
        bestCost = cost;
      }
    }
    if (best < 0) return undefined;
    for (let i = 0; i < k; i++) slots[i] = best + i;
    partial = best + k - 1;
  }
  return { region: r, slots, partial, rho, grams: gramsAt(job, v, slots, partial, rho) };
}

/** Adds `delta` to the free count of every slot `p` uses; true when a count went below zero. */
function book(free: (Int32Array | undefined)[], pj: PreparedJob, p: Placement, delta: number): boolean {
  const f = free[pj.zoneIds[p.region] as number];
  if (!f) return false;
  let over = false;
  for (let i = 0; i < p.slots.length; i++) {
    const t = p.slots[i] as number;
    const next = (f[t] as number) + delta;
    f[t] = next;
    if (next < 0) over = true;
  }
  return over;
}

function greedyOrder(jobs: readonly PreparedJob[], best: readonly Placement[]): Int32Array {
  const stake = new Float64Array(jobs.length);
  for (let j = 0; j < jobs.length; j++) {
    const pj = jobs[j] as PreparedJob;
    const p = best[j] as Placement;
    const ix = pj.zones[p.region] as ZoneIndex;
    const { from, to } = pj.windows[p.region] as { from: number; to: number };
    const mean = ((ix.prefix[to] as number) - (ix.prefix[from] as number)) / (to - from);
    stake[j] = pj.job.energyKwh * mean - p.grams;
  }
  const order = new Int32Array(jobs.length);
  for (let j = 0; j < order.length; j++) order[j] = j;
  return order.sort((a, b) => (stake[b] as number) - (stake[a] as number) || a - b);
}
