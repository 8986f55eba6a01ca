import { describe, expect, it } from 'vitest';
import type { Series } from '../series.js';
import { anomalyProfile, sameHourYesterday } from './index.js';
import { mulberry32 } from './random.js';

const SIX_HOURS_MS = 21_600_000;
const HALF_HOUR_MS = 1_800_000;
const series = (values: ArrayLike<number>, stepMs = SIX_HOURS_MS): Series => ({
  zone: 'TEST',
  source: 'synthetic',
  startMs: Date.UTC(2024, 0, 1),
  stepMs,
  values: Float64Array.from(values),
});
const list = (a: Float64Array) => Array.from(a);

describe('anomalyProfile', () => {
  it('matches the worked example: weighted daily profile plus an anomaly halving every slot', () => {
    // 6-hour slots (a day is 4), dayWeight ½, half-life 6 h (one slot). Known: two days and slot 8.
    const f = anomalyProfile({ dayWeight: 0.5, anomalyHalfLifeH: 6 });
    const r = f.forecast(series([10, 20, 30, 40, 20, 30, 40, 50, 60]), 9, 5);
    // P(8) = (20 + ½·10) / 1.5 = 16.667, so a = 60 − 16.667 = 43.333.
    const a = 60 - 25 / 1.5;
    expect(r[0]).toBeCloseTo((30 + 10) / 1.5 + a / 2, 9); // 48.333
    expect(r[1]).toBeCloseTo((40 + 15) / 1.5 + a / 4, 9); // 47.5
    expect(r[2]).toBeCloseTo((50 + 20) / 1.5 + a / 8, 9); // 52.083
    // Slot 12's yesterday is slot 8, already known: P(12) = (60 + ½·20 + ¼·10) / 1.75.
    expect(r[3]).toBeCloseTo((60 + 10 + 2.5) / 1.75 + a / 16, 9);
    // A day ahead the profile of slot 9 repeats; the anomaly keeps fading.
    expect(r[4]).toBeCloseTo((30 + 10) / 1.5 + a / 32, 9);
  });

  it('recovers the profile, the anomaly and its 24 h half-life from a periodic series with a jump', () => {
    // Four weeks of a half-hourly daily cycle, then the last known slot 37 g/kWh above it.
    const day = 48;
    const shape = (i: number) =>
      250 + 80 * Math.sin((2 * Math.PI * i) / day) + 20 * Math.cos((6 * Math.PI * i) / day);
    const from = 28 * day + 17;
    const values = Array.from({ length: from }, (_, i) => shape(i));
    values[from - 1] = shape(from - 1) + 37;
    const r = anomalyProfile().forecast(series(values, HALF_HOUR_MS), from, 96);
    // Slot from − 1 enters the profile of the slots one day on, with weight 1 / Σ 0.85^d.
    let weights = 0;
    for (let d = 0; d < 28; d++) weights += 0.85 ** d;
    const residual = (k: number) =>
      (r[k] as number) - shape(from + k) - (k % day === day - 1 ? 37 / weights : 0);
    // residual(k) = a · 2^(−(k + 1) / T½): regress log residual on k.
    const points = [0, 10, 30, 46, 60, 90].map((k) => ({ k, y: Math.log(residual(k)) }));
    const mk = points.reduce((s, p) => s + p.k, 0) / points.length;
    const my = points.reduce((s, p) => s + p.y, 0) / points.length;
    const slope =
      points.reduce((s, p) => s + (p.k - mk) * (p.y - my), 0) /
      points.reduce((s, p) => s + (p.k - mk) ** 2, 0);
    const halfLifeH = -Math.LN2 / slope / 2;
    const anomaly = Math.exp(my - slope * (mk + 1));
    expect(halfLifeH / 24).toBeCloseTo(1, 6);
    expect(anomaly / 37).toBeCloseTo(1, 6);
  });

  it('is exact on a daily-periodic signal', () => {
    const values = Array.from({ length: 10 * 48 }, (_, i) => 300 + 100 * Math.sin((2 * Math.PI * i) / 48));
    const from = 9 * 48 + 5;
    const r = anomalyProfile().forecast(series(values, HALF_HOUR_MS), from, 30);
    for (let k = 0; k < 30; k++) expect((r[k] as number) / (values[from + k] as number)).toBeCloseTo(1, 9);
  });

  it('reads nothing at or after from', () => {
    const rand = mulberry32(5);
    const base = Array.from({ length: 40 * 48 }, () => 100 + 200 * rand());
    const f = anomalyProfile();
    for (const from of [49, 7 * 48 + 3, 30 * 48]) {
      const before = list(f.forecast(series(base, HALF_HOUR_MS), from, 72));
      const changed = base.map((v, i) => (i >= from ? v + 1000 * rand() - 500 : v));
      expect(list(f.forecast(series(changed, HALF_HOUR_MS), from, 72))).toEqual(before);
      // The last known slot does count.
      const last = base.map((v, i) => (i === from - 1 ? v + 50 : v));
      expect(list(f.forecast(series(last, HALF_HOUR_MS), from, 72))).not.toEqual(before);
    }
  });

  it('falls back to same-hour-yesterday until a day and a slot are known', () => {
    const h = series([5, 6, 7, 8, 9], SIX_HOURS_MS);
    for (const from of [1, 4]) {
      expect(list(anomalyProfile().forecast(h, from, 6))).toEqual(
        list(sameHourYesterday().forecast(h, from, 6)),
      );
    }
    expect(list(anomalyProfile().forecast(h, 5, 1))).not.toEqual(list(sameHourYesterday().forecast(h, 5, 1)));
  });

  it('writes into a given buffer, names its settings, and refuses bad ones', () => {
    const out = new Float64Array(4).fill(-1);
    expect(anomalyProfile().forecast(series([1, 2, 3, 4, 5, 6]), 5, 2, out)).toBe(out);
    expect(out[2]).toBe(-1);
    expect(anomalyProfile().name).toBe('anomaly-profile');
    expect(anomalyProfile({ dayWeight: 0.85, days: 28, anomalyHalfLifeH: 24 }).name).toBe('anomaly-profile');
    expect(anomalyProfile({ dayWeight: 0.9, anomalyHalfLifeH: 12 }).name).toBe(
      'anomaly-profile-0.9w-28d-12h',
    );
    expect(() => anomalyProfile({ dayWeight: 0 })).toThrow(/dayWeight/);
    expect(() => anomalyProfile({ dayWeight: 1.2 })).toThrow(/dayWeight/);
    expect(() => anomalyProfile({ days: 1.5 })).toThrow(/days/);
    expect(() => anomalyProfile({ anomalyHalfLifeH: 0 })).toThrow(/anomalyHalfLifeH/);
    expect(() => anomalyProfile().forecast(series([1, 2], 7 * 3_600_000), 1, 1)).toThrow(/does not divide/);
  });
});
