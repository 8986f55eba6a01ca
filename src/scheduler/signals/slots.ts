import type { SignalSeries, SignalWarning } from './source.js';
import { SignalSourceError, signalWarning } from './source.js';

/** A timestamped value from a provider: the interval starting at `startMs`, gCO2e/kWh. */
export interface Point {
  startMs: number;
  value: number;
}

/**
 * Puts provider points on the slot grid covering [fromMs, toMs): slots with points inside take
 * their mean (5-min values average into a half hour); slots inside a coarser point's interval take
 * that point (an hourly value covers both halves); slots with neither hold the previous value (or
 * the next, at the start) and say so in a `gap-filled` warning. `points` must be sorted by time.
 */
export function pointsToSeries(
  provider: string,
  points: readonly Point[],
  meta: {
    zone: string;
    source: string;
    fromMs: number;
    toMs: number;
    stepMs: number;
    /** The provider's resolution when known (else inferred from the spacing of the points). */
    pointStepMs?: number;
  },
  warnings: SignalWarning[] = [],
): SignalSeries {
  const { zone, source, fromMs, toMs, stepMs } = meta;
  const startMs = Math.floor(fromMs / stepMs) * stepMs;
  const n = Math.max(0, Math.ceil((toMs - startMs) / stepMs));
  if (points.length === 0) {
    throw new SignalSourceError(
      provider,
      `${provider} returned no intensity for ${zone} between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}.`,
    );
  }
  const pointStep = meta.pointStepMs ?? typicalStepMs(points) ?? stepMs;
  const values = new Float64Array(n);
  const known = new Uint8Array(n);
  let p = 0;
  let gaps = 0;
  for (let i = 0; i < n; i++) {
    const slotStart = startMs + i * stepMs;
    const slotEnd = slotStart + stepMs;
    while (p < points.length && (points[p] as Point).startMs < slotStart) p++;
    let sum = 0;
    let count = 0;
    for (let q = p; q < points.length && (points[q] as Point).startMs < slotEnd; q++) {
      sum += (points[q] as Point).value;
      count++;
    }
    if (count > 0) {
      values[i] = sum / count;
      known[i] = 1;
      continue;
    }
    const before = points[p - 1];
    if (before && slotStart < before.startMs + pointStep) {
      values[i] = before.value;
      known[i] = 1;
    }
  }
  for (let i = 0; i < n; i++) {
    if (known[i]) continue;
    gaps++;
    if (i > 0) values[i] = values[i - 1] as number;
    else {
      const next = known.indexOf(1);
      values[i] = next >= 0 ? (values[next] as number) : (points[0] as Point).value;
    }
  }
  if (gaps > 0) warnings.push(signalWarning('gap-filled', `${gaps} of ${n} slots for ${zone}.`));
  return { zone, source, startMs, stepMs, values, warnings };
}

/** The most common spacing of the points (their native resolution). */
function typicalStepMs(points: readonly Point[]): number | undefined {
  const counts = new Map<number, number>();
  for (let i = 1; i < Math.min(points.length, 200); i++) {
    const d = (points[i] as Point).startMs - (points[i - 1] as Point).startMs;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [d, c] of counts) {
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

/** Splits [fromMs, toMs) into consecutive ranges of at most `maxMs` (providers cap a request's span). */
export function chunks(fromMs: number, toMs: number, maxMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = fromMs; t < toMs; t += maxMs) out.push([t, Math.min(toMs, t + maxMs)]);
  return out;
}
