import { type Forecaster, forecastBuffer } from './forecaster.js';

/** Every future slot equals the last known one: the baseline every other forecaster must beat. */
export function persistence(): Forecaster {
  return {
    name: 'persistence',
    forecast(history, from, horizon, out) {
      const result = forecastBuffer('persistence', history, from, horizon, out);
      result.fill(history.values[from - 1] as number, 0, horizon);
      return result;
    },
  };
}
