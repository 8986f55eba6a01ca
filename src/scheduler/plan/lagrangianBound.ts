import type { Job } from './job.js';
import type { JobWindow } from './jobWindow.js';
import type { Prices } from './pricedSearch.js';
import type { ZoneIndex } from './zoneIndex.js';

/** A job as the many-job planner sees it: its zones (indices into the planner's zone list) and windows. */
export interface PreparedJob {
  job: Job;
  zones: ZoneIndex[];
  windows: JobWindow[];
  /** `zoneIds[r]` = index of `zones[r]` in the planner's zone list. */
  zoneIds: Int32Array;
}

export interface BoundResult {
  /** The best Lagrangian bound found, grams; never above the optimum of the capacity-limited problem. */
  boundG: number;
  iterations: number;
  /** The capacity prices (g per job-slot) at the best bound, per zone; with their prefix sums. */
  prices: Prices[];
}

/**
 * Lagrangian lower bound on the capacity-limited optimum: capacity constraints are priced
 * (λ ≥ 0 g per job-slot), every job then plans alone against intensity plus price, and
 * L(λ) = Σ_jobs min cost(λ) − Σ λ·capacity ≤ optimum for any λ ≥ 0. Prices move by projected
 * subgradient steps (Polyak step towards `upperG`, the heuristic's total). λ = 0 gives the
 * capacity-free bound, so the result is never weaker than it.
 *
 * For an interruptible job with a partly used slot, the priced subproblem is under-estimated
 * (the partial discount is taken on the window's dearest slot), which keeps the bound valid.
 */
export function lagrangianBound(
  jobs: readonly PreparedJob[],
  zoneCount: number,
  capacity: readonly (Int32Array | undefined)[],
  zoneValues: readonly Float64Array[],
  upperG: number,
  iterations: number,
): BoundResult {
  const lambda = zoneValues.map((v) => new Float64Array(v.length));
  const lambdaPrefix = zoneValues.map((v) => new Float64Array(v.length + 1));
  const usage = zoneValues.map((v) => new Int32Array(v.length));
  let best = Number.NEGATIVE_INFINITY;
  const bestLambda = zoneValues.map((v) => new Float64Array(v.length));
  let theta = 1;
  let sinceImproved = 0;
  let done = 0;
  let keys = new Float64Array(256);
  // Most job-zone windows never see a price: their priced minimum is the one at λ = 0, kept here.
  // (Using it is safe even if a price hides in rounding: the λ = 0 minimum is never above the priced one.)
  const firstJobZone = new Int32Array(jobs.length + 1);
  for (let j = 0; j < jobs.length; j++) {
    firstJobZone[j + 1] = (firstJobZone[j] as number) + (jobs[j] as PreparedJob).zones.length;
  }
  const total = firstJobZone[jobs.length] as number;
  const cachedCost = new Float64Array(total).fill(Number.NaN);
  const cachedStart = new Int32Array(total);
  const cachedThreshold = new Float64Array(total);
  for (let it = 0; it <= iterations; it++) {
    done = it;
    for (let z = 0; z < zoneCount; z++) {
      const l = lambda[z] as Float64Array;
      const p = lambdaPrefix[z] as Float64Array;
      for (let i = 0; i < l.length; i++) p[i + 1] = (p[i] as number) + (l[i] as number);
      (usage[z] as Int32Array).fill(0);
    }
    let value = 0;
    for (let j = 0; j < jobs.length; j++) {
      const pj = jobs[j] as PreparedJob;
      const { job } = pj;
      let jobBest = Number.POSITIVE_INFINITY;
      let bestZ = -1;
      let bestStart = -1;
      let bestFrom = 0;
      let bestTo = 0;
      let bestThreshold = 0;
      let bestK = 0;
      let bestA = 0;
      for (let r = 0; r < pj.zones.length; r++) {
        const ix = pj.zones[r] as ZoneIndex;
        const z = pj.zoneIds[r] as number;
        const { from, to, k, rho } = pj.windows[r] as JobWindow;
        const a = job.energyKwh / (k - 1 + rho);
        const v = ix.values;
        const l = lambda[z] as Float64Array;
        const jz = (firstJobZone[j] as number) + r;
        const pl = lambdaPrefix[z] as Float64Array;
        const unpriced = pl[to] === pl[from];
        if (unpriced && !Number.isNaN(cachedCost[jz])) {
          const c = cachedCost[jz] as number;
          if (c < jobBest) {
            jobBest = c;
            bestZ = r;
            bestStart = cachedStart[jz] as number;
            bestFrom = from;
            bestTo = to;
            bestThreshold = cachedThreshold[jz] as number;
            bestK = k;
            bestA = a;
          }
          continue;
        }
        if (!job.interruptible) {
          let zoneBest = Number.POSITIVE_INFINITY;
          let zoneStart = -1;
          const pv = ix.prefix;
          for (let s = from; s + k <= to; s++) {
            const e = s + k - 1;
            const c =
              a * ((pv[e] as number) - (pv[s] as number) + rho * (v[e] as number)) +
              (pl[s + k] as number) -
              (pl[s] as number);
            if (c < zoneBest) {
              zoneBest = c;
              zoneStart = s;
            }
          }
          if (unpriced) {
            cachedCost[jz] = zoneBest;
            cachedStart[jz] = zoneStart;
          }
          if (zoneBest < jobBest) {
            jobBest = zoneBest;
            bestZ = r;
            bestStart = zoneStart;
          }
        } else {
          const n = to - from;
          if (keys.length < n) keys = new Float64Array(n * 2);
          for (let t = from; t < to; t++) keys[t - from] = a * (v[t] as number) + (l[t] as number);
          const sorted = keys.subarray(0, n).sort();
          let below = 0; // Σ of the k − 1 smallest keys
          for (let i = 0; i < k - 1; i++) below += sorted[i] as number;
          const kth = sorted[k - 1] as number;
          let c = below + kth;
          if (rho < 1) {
            // The partly used slot p saves a(1 − rho)·v[p]; the other k − 1 are the smallest keys
            // without p. Where keys tie at the threshold this may undercount, never overcount.
            const threshold = k > 1 ? (sorted[k - 2] as number) : Number.NEGATIVE_INFINITY;
            const discount = a * (1 - rho);
            for (let t = from; t < to; t++) {
              const key = a * (v[t] as number) + (l[t] as number);
              const withP = (key >= threshold ? below + key : below + kth) - discount * (v[t] as number);
              if (withP < c) c = withP;
            }
          }
          if (unpriced) {
            cachedCost[jz] = c;
            cachedStart[jz] = -1;
            cachedThreshold[jz] = kth;
          }
          if (c < jobBest) {
            jobBest = c;
            bestZ = r;
            bestStart = -1;
            bestFrom = from;
            bestTo = to;
            bestThreshold = kth;
            bestK = k;
            bestA = a;
          }
        }
      }
      value += jobBest;
      if (iterations === 0) continue;
      // Record the minimiser's slot use for the subgradient.
      const z = pj.zoneIds[bestZ] as number;
      const u = usage[z] as Int32Array;
      if (bestStart >= 0) {
        const k = (pj.windows[bestZ] as JobWindow).k;
        for (let t = bestStart; t < bestStart + k; t++) u[t] = (u[t] as number) + 1;
      } else {
        const v = (pj.zones[bestZ] as ZoneIndex).values;
        const l = lambda[z] as Float64Array;
        let left = bestK;
        for (let t = bestFrom; t < bestTo && left > 0; t++) {
          if (bestA * (v[t] as number) + (l[t] as number) < bestThreshold) {
            u[t] = (u[t] as number) + 1;
            left--;
          }
        }
        for (let t = bestFrom; t < bestTo && left > 0; t++) {
          if (bestA * (v[t] as number) + (l[t] as number) === bestThreshold) {
            u[t] = (u[t] as number) + 1;
            left--;
          }
        }
      }
    }
    let norm = 0;
    for (let z = 0; z < zoneCount; z++) {
      const cap = capacity[z];
      if (!cap) continue;
      const l = lambda[z] as Float64Array;
      const u = usage[z] as Int32Array;
      for (let t = 0; t < l.length; t++) {
        const lt = l[t] as number;
        value -= lt * (cap[t] as number);
        const g = (u[t] as number) - (cap[t] as number);
        if (g > 0 || lt > 0) norm += g * g;
      }
    }
    if (it === 0 || value > best + 1e-9 * Math.abs(best)) {
      best = value;
      for (let z = 0; z < zoneCount; z++) (bestLambda[z] as Float64Array).set(lambda[z] as Float64Array);
      sinceImproved = 0;
    } else if (++sinceImproved >= 3) {
      theta /= 2;
      sinceImproved = 0;
    }
    if (it === iterations || norm === 0 || upperG - best <= 1e-9 * Math.abs(upperG)) break;
    const step = (theta * Math.max(upperG - value, 1e-9 * Math.abs(upperG))) / norm;
    for (let z = 0; z < zoneCount; z++) {
      const cap = capacity[z];
      if (!cap) continue;
      const l = lambda[z] as Float64Array;
      const u = usage[z] as Int32Array;
      for (let t = 0; t < l.length; t++) {
        const next = (l[t] as number) + step * ((u[t] as number) - (cap[t] as number));
        l[t] = next > 0 ? next : 0;
      }
    }
  }
  const prices = bestLambda.map((l) => {
    const prefix = new Float64Array(l.length + 1);
    for (let i = 0; i < l.length; i++) prefix[i + 1] = (prefix[i] as number) + (l[i] as number);
    return { lambda: l, prefix };
  });
  return { boundG: best, iterations: done, prices };
}
