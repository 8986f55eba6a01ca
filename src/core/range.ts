/** A quantity with its uncertainty: `low ≤ mid ≤ high`, all in the unit named by the field that holds it. */
export interface Range {
  low: number;
  mid: number;
  high: number;
}

export function addRange(a: Range, b: Range): Range {
  return { low: a.low + b.low, mid: a.mid + b.mid, high: a.high + b.high };
}

/** `x` to `digits` significant figures, for display. */
export function sig(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}
