import type { ZoneIndex } from './zoneIndex.js';

/**
 * The exact single-job searches on one zone, in "slot units": a placement costs
 * Σ values over its full slots + rho × value of its partly used slot, so grams are
 * `energyKwh × cost / (k − 1 + rho)`. `free`, when given, marks slots with no capacity left
 * (`free[t] ≤ 0`) as unusable. Ties go to the earliest start (contiguous) or the earlier slot
 * (interruptible), as in window.ts.
 */

/** Relative tolerance under which two window totals count as equal (prefix sums round differently). */
const TIE = 1e-9;

/** Where the last successful search landed; reused to avoid allocating per call. */
export interface SearchResult {
  /** Slot-unit cost of the placement. */
  cost: number;
  /** Slot that is only partly used (the last slot of a contiguous run; the dearest of an interruptible set). */
  partial: number;
}

/**
 * Best start of `k` contiguous slots inside [from, to) (the last slot used for a fraction `rho`).
 * Returns the start, or -1 when none fits.
 */
export function bestContiguous(
  ix: ZoneIndex,
  from: number,
  to: number,
  k: number,
  rho: number,
  free: Int32Array | undefined,
  out: SearchResult,
): number {
  const last = to - k;
  if (last < from) return -1;
  const p = ix.prefix;
  const v = ix.values;
  let best = 0;
  let bestAt = -1;
  let blocked = 0;
  if (free) for (let i = from; i < from + k - 1; i++) if ((free[i] as number) <= 0) blocked++;
  for (let s = from; s <= last; s++) {
    const e = s + k - 1;
    if (free) {
      if ((free[e] as number) <= 0) blocked++;
      if (s > from && (free[s - 1] as number) <= 0) blocked--;
      if (blocked > 0) continue;
    }
    const c = (p[e] as number) - (p[s] as number) + rho * (v[e] as number);
    if (bestAt < 0 || c < best - TIE * Math.abs(best)) {
      best = c;
      bestAt = s;
    }
  }
  if (bestAt >= 0) {
    out.cost = best;
    out.partial = bestAt + k - 1;
  }
  return bestAt;
}

let scratch = new Int32Array(256);

/**
 * The `k` lowest usable slots inside [from, to), written ascending into `slots[0 … k)`; the dearest
 * of them takes the partial fraction `rho`, which is optimal (see the decision record). Returns
 * false when fewer than `k` usable slots exist.
 */
export function bestInterruptible(
  ix: ZoneIndex,
  from: number,
  to: number,
  k: number,
  rho: number,
  free: Int32Array | undefined,
  slots: Int32Array,
  out: SearchResult,
): boolean {
  const n = to - from;
  if (n < k || k <= 0) return false;
  const v = ix.values;
  let picked = 0;
  if (n * 4 >= v.length || ix.hasOrder) {
    if (n * 4 >= v.length) {
      // Wide window: walk the zone's global order and keep what falls inside.
      const order = ix.order();
      for (let r = 0; r < order.length && picked < k; r++) {
        const t = order[r] as number;
        if (t >= from && t < to && (!free || (free[t] as number) > 0)) slots[picked++] = t;
      }
    } else {
      // Narrow window on an ordered zone: sort the window's ranks (native integer sort).
      const rank = ix.rank();
      const order = ix.order();
      if (scratch.length < n) scratch = new Int32Array(n * 2);
      let m = 0;
      for (let t = from; t < to; t++) if (!free || (free[t] as number) > 0) scratch[m++] = rank[t] as number;
      if (m >= k) {
        const ranks = scratch.subarray(0, m).sort();
        for (; picked < k; picked++) slots[picked] = order[ranks[picked] as number] as number;
      }
    }
  } else {
    if (scratch.length < n) scratch = new Int32Array(n * 2);
    let m = 0;
    for (let t = from; t < to; t++) if (!free || (free[t] as number) > 0) scratch[m++] = t;
    if (m >= k) {
      const window = scratch.subarray(0, m).sort((a, b) => (v[a] as number) - (v[b] as number) || a - b);
      for (; picked < k; picked++) slots[picked] = window[picked] as number;
    }
  }
  if (picked < k) return false;
  // slots[k − 1] is the dearest pick (picks come in ascending order).
  const partial = slots[k - 1] as number;
  const chosen = slots.subarray(0, k).sort();
  let cost = 0;
  for (let i = 0; i < k; i++) cost += v[chosen[i] as number] as number;
  out.cost = cost - (1 - rho) * (v[partial] as number);
  out.partial = partial;
  return true;
}
