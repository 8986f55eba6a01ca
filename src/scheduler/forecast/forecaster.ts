import type { Series } from '../series.js';

/**
 * Predicts a carbon-intensity series ahead of time when no provider forecast exists.
 * `forecast(history, from, horizon)` returns predictions for slots `from … from + horizon − 1` of
 * `history`, using only `history.values[i]` for `i < from`: what was known when slot `from` began.
 */
export interface Forecaster {
  readonly name: string;
  forecast(history: Series, from: number, horizon: number): Float64Array;
}
