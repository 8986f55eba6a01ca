/**
 * The two exact single-job optima every planner and benchmark builds on. Both look only at
 * `values[from .. to)` (slot indices, `to` exclusive) and break ties toward the earliest slot.
 */

/**
 * Start index of the contiguous run of `length` slots inside [from, to) with the lowest total,
 * by a sliding-window sum (O(to − from)). Returns -1 when the window is shorter than `length`.
 */
export function bestContiguousStart(
  values: ArrayLike<number>,
  from: number,
  to: number,
  length: number,
): number {
  if (length <= 0 || to - from < length) return -1;
  let sum = 0;
  for (let i = from; i < from + length; i++) sum += values[i] as number;
  let best = sum;
  let bestAt = from;
  for (let start = from + 1; start + length <= to; start++) {
    sum += (values[start + length - 1] as number) - (values[start - 1] as number);
    if (sum < best - 1e-9 * Math.abs(best)) {
      best = sum;
      bestAt = start;
    }
  }
  return bestAt;
}

/**
 * The `count` lowest slots inside [from, to), ascending by index (ties go to the earlier slot).
 * Returns fewer when the window has fewer slots. O(n log n) in the window size.
 */
export function lowestSlots(values: ArrayLike<number>, from: number, to: number, count: number): number[] {
  const n = Math.max(0, to - from);
  if (count >= n) return Array.from({ length: n }, (_, i) => from + i);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = from + i;
  order.sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
  return Array.from(order.subarray(0, Math.max(0, count))).sort((a, b) => a - b);
}
