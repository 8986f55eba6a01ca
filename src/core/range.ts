/** A quantity with its uncertainty: `low ≤ mid ≤ high`, all in the unit named by the field that holds it. */
export interface Range {
  low: number;
  mid: number;
  high: number;
}

export function range(low: number, mid: number, high: number): Range {
  return { low: Math.min(low, mid), mid, high: Math.max(high, mid) };
}

export function point(value: number): Range {
  return { low: value, mid: value, high: value };
}

export function scaleRange(r: Range, factor: number): Range {
  return { low: r.low * factor, mid: r.mid * factor, high: r.high * factor };
}

/** Interval product: pairs low with low and high with high (all factors are non-negative). */
export function mulRange(a: Range, b: Range): Range {
  return { low: a.low * b.low, mid: a.mid * b.mid, high: a.high * b.high };
}

export function addRange(a: Range, b: Range): Range {
  return { low: a.low + b.low, mid: a.mid + b.mid, high: a.high + b.high };
}

/** Rounds every bound to `digits` significant figures, for display and JSON output. */
export function roundRange(r: Range, digits = 4): Range {
  return { low: sig(r.low, digits), mid: sig(r.mid, digits), high: sig(r.high, digits) };
}

export function sig(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}
