import { GreenprintError, type HourlyTrace } from '../core/index.js';

/**
 * A carbon-intensity signal on a regular slot grid: `values[i]` is the mean intensity (gCO2e/kWh)
 * of the slot starting at `startMs + i·stepMs`. Planners and forecasters work on this dense form
 * (typed arrays, index arithmetic) rather than on timestamped points.
 */
export interface Series {
  zone: string;
  /** Where the values come from (file, provider, forecaster). */
  source: string;
  /** Epoch ms of slot 0. */
  startMs: number;
  /** Slot length, ms (30 min in the scheduler). */
  stepMs: number;
  values: Float64Array;
}

export const HALF_HOUR_MS = 1_800_000;

/**
 * Puts a trace on a regular grid of `stepMs` slots. Finer traces are sampled at each slot's start
 * (Let's Wait Awhile sub-samples its 15-min German series at :00 and :30 the same way); coarser
 * ones hold each point until the next (an hourly value covers both of its half hours).
 */
export function seriesFromTrace(trace: HourlyTrace, stepMs = HALF_HOUR_MS): Series {
  const points = trace.points;
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) {
    throw new GreenprintError('invalid_trace', `Trace ${trace.zone} has no points.`);
  }
  const startMs = Math.ceil(first.startMs / stepMs) * stepMs;
  const lastStep =
    points.length > 1 ? last.startMs - (points[points.length - 2] as typeof last).startMs : stepMs;
  const endMs = last.startMs + lastStep;
  const n = Math.max(0, Math.floor((endMs - startMs) / stepMs));
  const values = new Float64Array(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const t = startMs + i * stepMs;
    while (p + 1 < points.length && (points[p + 1] as typeof first).startMs <= t) p++;
    values[i] = (points[p] as typeof first).gPerKwh;
  }
  return { zone: trace.zone, source: trace.source, startMs, stepMs, values };
}

/** Index of the slot containing `timeMs` (may be negative or ≥ length when outside the series). */
export function slotAt(series: Series, timeMs: number): number {
  return Math.floor((timeMs - series.startMs) / series.stepMs);
}
