import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';
import type { Forecaster } from './forecaster.js';
import { fillStandardNormal } from './random.js';

export interface NoisyOracleOptions {
  /** Noise standard deviation as a fraction of the series mean (0.05 = 5 %). */
  errorFraction: number;
  /** PRNG seed; the same seed gives the same noise on the same series. */
  seed: number;
  /** The mean the noise scales with, gCO2e/kWh (default: the mean of the whole series). */
  meanGPerKwh?: number;
}

/**
 * The forecast-error model of Wiesner et al. 2021 ("Let's Wait Awhile"): the true future plus
 * i.i.d. Gaussian noise N(0, (e·mean)²). Unlike real forecasters it reads the future of `history`
 * (it is an oracle with a known error), including slot `from` itself. The noise is drawn once per
 * series (slot i always gets the same draw, whichever forecast asks for it), so the scheduler sees
 * one consistent noisy world per seed; series are treated as immutable.
 */
export function noisyOracle(options: NoisyOracleOptions): Forecaster {
  const { errorFraction, seed } = options;
  if (!(errorFraction >= 0) || !Number.isFinite(errorFraction)) {
    throw new GreenprintError(
      'invalid_input',
      `noisyOracle: errorFraction must be ≥ 0, got ${errorFraction}.`,
      {
        errorFraction,
      },
    );
  }
  const name = `noisy-oracle-${+(errorFraction * 100).toFixed(2)}pct-seed${seed}`;
  const noisyBySeries = new WeakMap<Float64Array, Float64Array>();
  const noisy = (history: Series): Float64Array => {
    let result = noisyBySeries.get(history.values);
    if (!result) {
      result = noisySeriesValues(history.values, errorFraction, seed, options.meanGPerKwh);
      noisyBySeries.set(history.values, result);
    }
    return result;
  };
  return {
    name,
    forecast(history, from, horizon, out) {
      if (!Number.isInteger(from) || !Number.isInteger(horizon) || from < 0 || horizon < 0) {
        throw new GreenprintError('invalid_input', `${name}: from and horizon must be whole numbers ≥ 0.`, {
          from,
          horizon,
        });
      }
      if (from + horizon > history.values.length) {
        throw new GreenprintError(
          'invalid_input',
          `${name}: slots ${from}…${from + horizon - 1} run past the series (${history.values.length} slots); an oracle cannot see beyond its data.`,
          { from, horizon, length: history.values.length },
        );
      }
      const values = noisy(history);
      if (out === undefined) return values.slice(from, from + horizon);
      if (out.length < horizon) {
        throw new GreenprintError(
          'invalid_input',
          `${name}: output buffer holds ${out.length} slots but the horizon is ${horizon}.`,
        );
      }
      out.set(values.subarray(from, from + horizon));
      return out;
    },
  };
}

/**
 * `values[i] + e·mean·z_i` with `z` standard normal from `seed`: the whole noisy series at once
 * (what the paper's simulator builds per seed).
 */
export function noisySeriesValues(
  values: Float64Array,
  errorFraction: number,
  seed: number,
  meanGPerKwh?: number,
): Float64Array {
  const result = new Float64Array(values.length);
  if (errorFraction === 0) {
    result.set(values);
    return result;
  }
  let mean = meanGPerKwh;
  if (mean === undefined) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i] as number;
    mean = sum / values.length;
  }
  const std = errorFraction * mean;
  fillStandardNormal(result, seed);
  for (let i = 0; i < values.length; i++) result[i] = (values[i] as number) + std * (result[i] as number);
  return result;
}
