import type { SearchResult } from './slotSearch.js';
import type { ZoneIndex } from './zoneIndex.js';

/** Capacity prices of one zone (g per job-slot) from the Lagrangian bound, with their prefix sums. */
export interface Prices {
  lambda: Float64Array;
  prefix: Float64Array;
}

/**
 * The searches of slotSearch.ts against intensity plus capacity price: a slot costs
 * `values[t] + lambda[t] / a` slot units for a job of `a` kWh per full slot. Used by the
 * price-guided greedy pass only, so ties need no special care.
 */
export function pricedContiguous(
  ix: ZoneIndex,
  from: number,
  to: number,
  k: number,
  rho: number,
  free: Int32Array | undefined,
  prices: Prices,
  perUnit: number,
  out: SearchResult,
): number {
  const p = ix.prefix;
  const v = ix.values;
  const pl = prices.prefix;
  let best = Number.POSITIVE_INFINITY;
  let bestAt = -1;
  let blocked = 0;
  if (free) for (let i = from; i < from + k - 1; i++) if ((free[i] as number) <= 0) blocked++;
  for (let s = from; s + k <= to; s++) {
    const e = s + k - 1;
    if (free) {
      if ((free[e] as number) <= 0) blocked++;
      if (s > from && (free[s - 1] as number) <= 0) blocked--;
      if (blocked > 0) continue;
    }
    const c =
      (p[e] as number) -
      (p[s] as number) +
      rho * (v[e] as number) +
      perUnit * ((pl[s + k] as number) - (pl[s] as number));
    if (c < best) {
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

export function pricedInterruptible(
  ix: ZoneIndex,
  from: number,
  to: number,
  k: number,
  rho: number,
  free: Int32Array | undefined,
  prices: Prices,
  perUnit: number,
  slots: Int32Array,
  out: SearchResult,
): boolean {
  const n = to - from;
  if (scratch.length < n) scratch = new Int32Array(n * 2);
  const v = ix.values;
  const l = prices.lambda;
  let m = 0;
  for (let t = from; t < to; t++) if (!free || (free[t] as number) > 0) scratch[m++] = t;
  if (m < k) return false;
  const key = (t: number) => (v[t] as number) + perUnit * (l[t] as number);
  const window = scratch.subarray(0, m).sort((a, b) => key(a) - key(b) || a - b);
  let cost = 0;
  let partial = window[0] as number;
  for (let i = 0; i < k; i++) {
    const t = window[i] as number;
    slots[i] = t;
    cost += key(t);
    if ((v[t] as number) >= (v[partial] as number)) partial = t;
  }
  slots.subarray(0, k).sort();
  out.cost = cost - (1 - rho) * (v[partial] as number);
  out.partial = partial;
  return true;
}
