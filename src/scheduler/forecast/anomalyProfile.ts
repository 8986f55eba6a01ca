import { GreenprintError } from '../../core/index.js';
import { type Forecaster, forecastBuffer, slotsPer } from './forecaster.js';
import { fillSameHourYesterday } from './sameHourYesterday.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface AnomalyProfileOptions {
  /** Weight of each day relative to the day after it, in (0, 1] (default 0.85: last week ≈ 70 % of the weight). */
  dayWeight?: number;
  /** Past days the daily profile averages (default 28). */
  days?: number;
  /** Half-life of the last known slot's departure from the profile, hours (default 24). */
  anomalyHalfLifeH?: number;
}

/**
 * Daily profile plus decaying anomaly. The profile `P(t)` is the mean of the same slot of the day
 * over the last `days` days, each day weighted `dayWeight` times the day after it, so a change of
 * season or of the generation mix shows within days rather than weeks. The last known slot's
 * departure from its own profile, `a = I(from − 1) − P(from − 1)`, carries into the forecast and
 * fades with a half-life: slot `from + k` is `P(from + k) + a · 2^(−(k + 1)·Δ / T½)`. That keeps the
 * level of the next hours (a windy night stays windy for a while) and the shape of the day further
 * out, which is what ranking the slots of a window needs. Beyond a day ahead the profile repeats
 * while the anomaly keeps fading. With less than a day and a slot of history it falls back to
 * same-hour-yesterday.
 *
 * The defaults were chosen on the 2022 Electricity Maps traces (DE-LU, GB, US-CAL-CISO), apart from
 * the 2023–2024 years the scheduler bench judges on. On the 2022 traces the share of the oracle's saving
 * stays within 1.5 points of its best across dayWeight 0.7–0.95 and half-lives of 12–34 h.
 */
export function anomalyProfile(options: AnomalyProfileOptions = {}): Forecaster {
  const dayWeight = options.dayWeight ?? 0.85;
  const days = options.days ?? 28;
  const halfLifeH = options.anomalyHalfLifeH ?? 24;
  if (!(dayWeight > 0 && dayWeight <= 1)) {
    throw new GreenprintError(
      'invalid_input',
      `anomalyProfile: dayWeight must be in (0, 1], got ${dayWeight}.`,
      {
        dayWeight,
      },
    );
  }
  if (!Number.isInteger(days) || days < 1) {
    throw new GreenprintError(
      'invalid_input',
      `anomalyProfile: days must be a whole number ≥ 1, got ${days}.`,
      {
        days,
      },
    );
  }
  if (!(halfLifeH > 0)) {
    throw new GreenprintError(
      'invalid_input',
      `anomalyProfile: anomalyHalfLifeH must be > 0 hours (Infinity keeps the anomaly), got ${halfLifeH}.`,
      { anomalyHalfLifeH: halfLifeH },
    );
  }
  const name =
    dayWeight === 0.85 && days === 28 && halfLifeH === 24
      ? 'anomaly-profile'
      : `anomaly-profile-${dayWeight}w-${days}d-${halfLifeH}h`;
  return {
    name,
    forecast(history, from, horizon, out) {
      const result = forecastBuffer(name, history, from, horizon, out);
      const day = slotsPer(name, history, DAY_MS);
      const values = history.values;
      if (from <= day) {
        fillSameHourYesterday(values, from, horizon, day, result);
        return result;
      }
      const anomaly =
        (values[from - 1] as number) - dailyProfileGPerKwh(values, from - 1, day, days, dayWeight);
      const fade = 2 ** (-history.stepMs / (halfLifeH * HOUR_MS));
      let carried = anomaly;
      for (let k = 0; k < horizon; k++) {
        carried *= fade;
        result[k] = dailyProfileGPerKwh(values, from + (k % day), day, days, dayWeight) + carried;
      }
      return result;
    },
  };
}

/**
 * `P(t) = Σ_d w^(d−1) · I(t − d·day) / Σ_d w^(d−1)` over d = 1…days with `t − d·day ≥ 0` (at least
 * one): the weighted mean of the same slot on earlier days, gCO2e/kWh. Reads only slots before `t`.
 */
function dailyProfileGPerKwh(
  values: Float64Array,
  t: number,
  day: number,
  days: number,
  dayWeight: number,
): number {
  let sum = 0;
  let weights = 0;
  let w = 1;
  for (let i = t - day, d = 0; d < days && i >= 0; d++, i -= day) {
    sum += w * (values[i] as number);
    weights += w;
    w *= dayWeight;
  }
  return sum / weights;
}
