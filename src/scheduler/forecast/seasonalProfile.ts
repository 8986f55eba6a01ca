import { GreenprintError } from '../../core/index.js';
import { type Forecaster, forecastBuffer, slotsPer } from './forecaster.js';
import { fillSameHourYesterday } from './sameHourYesterday.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface SeasonalProfileOptions {
  /** How many past weeks to average, most recent first (default 4). */
  weeks?: number;
}

/**
 * Hour-of-week profile: each slot is the mean of the same slot of the week in the last `weeks`
 * known weeks. With less history it averages the weeks there are; with less than one week it
 * falls back to same-hour-yesterday (and to the last known value with less than a day). Beyond a
 * week ahead the profile repeats.
 */
export function seasonalProfile(options: SeasonalProfileOptions = {}): Forecaster {
  const weeks = options.weeks ?? 4;
  if (!Number.isInteger(weeks) || weeks < 1) {
    throw new GreenprintError(
      'invalid_input',
      `seasonalProfile: weeks must be a whole number ≥ 1, got ${weeks}.`,
      {
        weeks,
      },
    );
  }
  const name = `seasonal-profile-${weeks}w`;
  return {
    name,
    forecast(history, from, horizon, out) {
      const result = forecastBuffer(name, history, from, horizon, out);
      const week = slotsPer(name, history, WEEK_MS);
      const values = history.values;
      if (from < week) {
        fillSameHourYesterday(values, from, horizon, slotsPer(name, history, DAY_MS), result);
        return result;
      }
      const period = Math.min(horizon, week);
      for (let k = 0; k < period; k++) {
        // Slot from + k, one week back from the last known week: from − week + k ≥ 0 here.
        let i = from - week + k;
        let sum = 0;
        let n = 0;
        while (n < weeks && i >= 0) {
          sum += values[i] as number;
          n++;
          i -= week;
        }
        result[k] = sum / n;
      }
      for (let k = period; k < horizon; k++) result[k] = result[k - week] as number;
      return result;
    },
  };
}
