import { describe, expect, it } from 'vitest';
import type { Series } from '../series.js';
import { persistence, sameHourYesterday, seasonalProfile } from './index.js';

// 6-hour slots keep the worked examples small: a day is 4 slots, a week 28.
const SIX_HOURS_MS = 21_600_000;
const series = (values: number[], stepMs = SIX_HOURS_MS): Series => ({
  zone: 'TEST',
  source: 'worked example',
  startMs: Date.UTC(2024, 0, 1),
  stepMs,
  values: Float64Array.from(values),
});
const list = (a: Float64Array) => Array.from(a);

describe('persistence', () => {
  it('repeats the last known slot', () => {
    expect(list(persistence().forecast(series([1, 2, 3, 4, 5]), 3, 4))).toEqual([3, 3, 3, 3]);
  });

  it('writes into a given buffer and returns it', () => {
    const out = new Float64Array(6).fill(-1);
    const result = persistence().forecast(series([7, 8]), 2, 3, out);
    expect(result).toBe(out);
    expect(list(out)).toEqual([8, 8, 8, -1, -1, -1]);
  });

  it('needs one known slot and a buffer long enough', () => {
    expect(() => persistence().forecast(series([1, 2]), 0, 1)).toThrow(/at least one known slot/);
    expect(() => persistence().forecast(series([1, 2]), 3, 1)).toThrow(/1…2/);
    expect(() => persistence().forecast(series([1, 2]), 1, 3, new Float64Array(2))).toThrow(/holds 2 slots/);
  });
});

describe('sameHourYesterday', () => {
  const day1 = [10, 20, 30, 40];
  const day2 = [11, 21, 31, 41];

  it('takes the same slot one day earlier while it is known', () => {
    // Slots 6, 7, 8 ← slots 2, 3, 4 (30, 40 from day 1; 11 from day 2, known at from = 6).
    expect(list(sameHourYesterday().forecast(series([...day1, 11, 21]), 6, 3))).toEqual([30, 40, 11]);
  });

  it('repeats the last known day beyond 24 h ahead', () => {
    expect(list(sameHourYesterday().forecast(series([...day1, ...day2]), 8, 10))).toEqual([
      11, 21, 31, 41, 11, 21, 31, 41, 11, 21,
    ]);
  });

  it('uses the last known value where yesterday is not in the history', () => {
    // from = 2: slots 2, 3 have no yesterday (→ 20); slot 4's yesterday is slot 0.
    expect(list(sameHourYesterday().forecast(series(day1), 2, 3))).toEqual([20, 20, 10]);
  });

  it('counts a day in slots of the series step (hourly: 24 back)', () => {
    const hourly = series(
      Array.from({ length: 48 }, (_, i) => i),
      3_600_000,
    );
    expect(list(sameHourYesterday().forecast(hourly, 30, 2))).toEqual([6, 7]);
  });

  it('refuses a step that does not divide a day', () => {
    expect(() => sameHourYesterday().forecast(series([1, 2], 7 * 3_600_000), 1, 1)).toThrow(
      /does not divide/,
    );
  });
});

describe('seasonalProfile', () => {
  // Week w, slot-of-week s (0…27) has the value 100·w + s.
  const threeWeeks = Array.from({ length: 84 }, (_, i) => 100 * Math.floor(i / 28) + (i % 28));

  it('averages the same slot of the week over the last N weeks', () => {
    // Slot 84 + k ← weeks 2 and 1: (200 + k + 100 + k) / 2.
    expect(list(seasonalProfile({ weeks: 2 }).forecast(series(threeWeeks), 84, 3))).toEqual([150, 151, 152]);
  });

  it('uses the weeks there are when the history is shorter than N weeks (default 4)', () => {
    const f = seasonalProfile();
    expect(f.name).toBe('seasonal-profile-4w');
    // Three weeks known: (k + 100 + k + 200 + k) / 3 = 100 + k.
    expect(list(f.forecast(series(threeWeeks), 84, 2))).toEqual([100, 101]);
    // from = 60: slot 60 (slot-of-week 4) ← slots 32 (104) and 4 (4); slot 61 ← 33 (105), 5 (5).
    expect(list(f.forecast(series(threeWeeks), 60, 2))).toEqual([54, 55]);
  });

  it('repeats the profile beyond a week ahead', () => {
    const r = seasonalProfile({ weeks: 1 }).forecast(series(threeWeeks), 84, 30);
    expect(r[28]).toBe(r[0]);
    expect(r[29]).toBe(200 + 1);
  });

  it('falls back to same-hour-yesterday with less than a week of history', () => {
    const history = series(threeWeeks.slice(0, 10));
    expect(list(seasonalProfile().forecast(history, 10, 6))).toEqual(
      list(sameHourYesterday().forecast(history, 10, 6)),
    );
  });

  it('is exact on a weekly-periodic half-hourly signal', () => {
    const week = 336;
    const values = Array.from({ length: 5 * week }, (_, i) => 200 + 50 * Math.sin((2 * Math.PI * i) / week));
    const s = series(values, 1_800_000);
    const r = seasonalProfile().forecast(s, 4 * week + 17, 96);
    for (let k = 0; k < 96; k++) expect(r[k]).toBeCloseTo(values[4 * week + 17 + k] as number, 9);
  });

  it('rejects a week count that is not a positive whole number', () => {
    expect(() => seasonalProfile({ weeks: 0 })).toThrow(/weeks/);
  });
});
