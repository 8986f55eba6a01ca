import { type Forecaster, forecastBuffer, slotsPer } from './forecaster.js';

const DAY_MS = 86_400_000;

/**
 * Each slot takes the value of the same slot one day earlier; beyond 24 h ahead that day is not
 * known yet, so it repeats further back (the forecast is the last known day, repeated). While the
 * history is shorter than a day, the slots with no known yesterday get the last known value.
 */
export function sameHourYesterday(): Forecaster {
  return {
    name: 'same-hour-yesterday',
    forecast(history, from, horizon, out) {
      const result = forecastBuffer('same-hour-yesterday', history, from, horizon, out);
      const day = slotsPer('same-hour-yesterday', history, DAY_MS);
      fillSameHourYesterday(history.values, from, horizon, day, result);
      return result;
    },
  };
}

/**
 * `t − day·(⌊k/day⌋ + 1)` for slot `t = from + k` reduces to `from − day + (k mod day)`: the last
 * known day, repeated. Shared with the seasonal profile's fallback.
 */
export function fillSameHourYesterday(
  values: Float64Array,
  from: number,
  horizon: number,
  day: number,
  out: Float64Array,
): void {
  const last = values[from - 1] as number;
  const period = Math.min(horizon, day);
  for (let k = 0; k < period; k++) {
    const i = from - day + k;
    out[k] = i >= 0 ? (values[i] as number) : last;
  }
  for (let k = period; k < horizon; k++) out[k] = out[k - day] as number;
}
