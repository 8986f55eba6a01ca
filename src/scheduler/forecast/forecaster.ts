import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';

/**
 * Predicts a carbon-intensity series ahead of time when no provider forecast exists.
 * `forecast(history, from, horizon)` returns predictions (gCO2e/kWh) for slots
 * `from … from + horizon − 1` of `history`, using only `history.values[i]` for `i < from`: what was
 * known when slot `from` began. Passing `out` (length ≥ horizon) reuses that buffer and returns it,
 * so callers looping over a year of slots allocate nothing per call.
 */
export interface Forecaster {
  readonly name: string;
  forecast(history: Series, from: number, horizon: number, out?: Float64Array): Float64Array;
}

/** Checks the common arguments and returns the buffer to write into. */
export function forecastBuffer(
  name: string,
  history: Series,
  from: number,
  horizon: number,
  out: Float64Array | undefined,
): Float64Array {
  if (!Number.isInteger(from) || from < 1 || from > history.values.length) {
    throw new GreenprintError(
      'invalid_input',
      `${name}: forecast start ${from} must be a slot index in 1…${history.values.length} (at least one known slot before it).`,
      { from, length: history.values.length },
    );
  }
  if (!Number.isInteger(horizon) || horizon < 0) {
    throw new GreenprintError(
      'invalid_input',
      `${name}: horizon ${horizon} must be a whole number of slots ≥ 0.`,
      {
        horizon,
      },
    );
  }
  if (out === undefined) return new Float64Array(horizon);
  if (out.length < horizon) {
    throw new GreenprintError(
      'invalid_input',
      `${name}: output buffer holds ${out.length} slots but the horizon is ${horizon}.`,
      { horizon, outLength: out.length },
    );
  }
  return out;
}

/** Slots per `periodMs` on this series' grid; the period must be a whole number of slots. */
export function slotsPer(name: string, history: Series, periodMs: number): number {
  const slots = periodMs / history.stepMs;
  if (!Number.isInteger(slots) || slots < 1) {
    throw new GreenprintError(
      'invalid_input',
      `${name}: a slot of ${history.stepMs} ms does not divide ${periodMs} ms; resample the series to a step such as 30 min or 1 h.`,
      { stepMs: history.stepMs },
    );
  }
  return slots;
}
