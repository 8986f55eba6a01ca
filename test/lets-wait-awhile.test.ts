import { describe, expect, it } from 'vitest';
import {
  expectedScenario1,
  jobEmissions,
  LWA_REGIONS,
  loadLwaValues,
  type NightlyResult,
  nightlyAvgCi,
  nightlyResults,
  slackMinutes,
} from '../bench/lib/lets-wait-awhile.js';
import { HAS_SHARED_DATA } from '../bench/lib/shared.js';

// The paper's rules and quirks (SOURCES.md §4) on small worked examples: these need no shared data.
describe("Let's Wait Awhile rules", () => {
  const at = (iso: string) => (Date.parse(`${iso}Z`) - Date.UTC(2020, 0, 1)) / 60_000;

  it('Next Workday: a finish after 17:00 may move to 09:00 next day, Friday evening to Saturday (quirk 4)', () => {
    // 2020-01-01 is a Wednesday.
    expect(
      slackMinutes({ id: 0, arrivalMinute: at('2020-01-01T10:00'), durationMinutes: 8 * 60 }, 'next_workday'),
    ).toBe(
      15 * 60, // ends 18:00 Wednesday → Thursday 09:00
    );
    expect(
      slackMinutes({ id: 0, arrivalMinute: at('2020-01-01T10:00'), durationMinutes: 7 * 60 }, 'next_workday'),
    ).toBe(0);
    expect(
      slackMinutes({ id: 0, arrivalMinute: at('2020-01-03T10:00'), durationMinutes: 8 * 60 }, 'next_workday'),
    ).toBe(
      15 * 60, // ends 18:00 Friday → Saturday 09:00
    );
    expect(
      slackMinutes(
        { id: 0, arrivalMinute: at('2020-01-03T10:00'), durationMinutes: 24 * 60 },
        'next_workday',
      ),
    ).toBe(
      47 * 60, // ends 10:00 Saturday → Monday 09:00
    );
  });

  it('Semi-Weekly: finish by the next Thursday or Monday 09:00', () => {
    // Ends Wednesday 18:00 → Thursday 09:00; ends Thursday 10:00 → Monday 09:00.
    expect(
      slackMinutes({ id: 0, arrivalMinute: at('2020-01-01T10:00'), durationMinutes: 8 * 60 }, 'semi_weekly'),
    ).toBe(15 * 60);
    expect(
      slackMinutes({ id: 0, arrivalMinute: at('2020-01-02T09:00'), durationMinutes: 60 }, 'semi_weekly'),
    ).toBe(95 * 60);
  });

  it('non-interrupting may end one slot after the deadline (quirk 3); interrupting takes every tie (quirk 5)', () => {
    const ci = Float64Array.from([5, 5, 5, 1, 1, 9]);
    // Two slots, zero slack: starts 0 and 1 are candidates (window now + D slots), so 10 not 6.
    expect(jobEmissions(ci, ci, 0, 2, 0, false)).toBe(10);
    // Slack 1: starts 0…2; the cheapest, 2–3, costs 6.
    expect(jobEmissions(ci, ci, 0, 2, 1, false)).toBe(6);
    // Interrupting, D = 1, window 0…2 (three slots all 5): every slot at the threshold runs.
    expect(jobEmissions(ci, ci, 0, 1, 1, true)).toBe(15);
    // The scheduler chooses on the noisy view and pays the actual intensity.
    const seen = Float64Array.from([5, 0, 5, 1, 1, 9]);
    expect(jobEmissions(ci, seen, 0, 1, 1, true)).toBe(5);
  });

  it('Scenario I skips a day whose window opens before the trace, yet divides by 365 (quirk 1)', () => {
    const flat = new Float64Array(366 * 48).fill(100);
    expect(nightlyAvgCi(flat, flat, 2)).toBeCloseTo(100, 9);
    expect(nightlyAvgCi(flat, flat, 3)).toBeCloseTo((100 * 364) / 365, 9);
  });
});

describe.skipIf(!HAS_SHARED_DATA)("Let's Wait Awhile Scenario I against the paper (../shared/data)", () => {
  const results = HAS_SHARED_DATA
    ? LWA_REGIONS.flatMap((r) => nightlyResults(r, loadLwaValues(r), [0, 0.05]))
    : [];
  const expected = HAS_SHARED_DATA ? expectedScenario1() : [];
  const ours = (region: string, minutes: number, error: number): NightlyResult | undefined =>
    results.find((r) => r.region === region && r.windowSteps * 30 === minutes && r.forecastError === error);

  it('at 0 % error every value matches the repo code re-run within ±0.01', () => {
    const rows = expected.filter((e) => e.forecastError === 0);
    expect(rows).toHaveLength(2 * 3 * 17);
    const off = rows.flatMap((e) => {
      const r = ours(e.region, e.windowMinutes, 0);
      const value = e.metric === 'avg_ci_g_per_kwh' ? r?.avgCiGPerKwh : r?.savingPct;
      return value !== undefined && Math.abs(value - e.value) <= 0.01 ? [] : [{ ...e, ours: value }];
    });
    expect(off).toEqual([]);
  });

  it('at 5 % error the 10-seed mean saving is within ±0.2 pp of the paper figure', () => {
    const rows = expected.filter(
      (e) => e.forecastError === 0.05 && e.metric === 'saving_pct_vs_no_shift' && e.region !== 'CA',
    );
    expect(rows).toHaveLength(3 * 17);
    const off = rows.flatMap((e) => {
      const saving = ours(e.region, e.windowMinutes, 0.05)?.savingPct;
      return saving !== undefined && Math.abs(saving - e.value) <= 0.2 ? [] : [{ ...e, ours: saving }];
    });
    expect(off).toEqual([]);
  });

  it('the ±8 h headline: the oracle saves more than the 5 % forecast, which keeps most of it', () => {
    for (const region of LWA_REGIONS) {
      const oracle = ours(region, 480, 0)?.savingPct ?? Number.NaN;
      const noisy = ours(region, 480, 0.05)?.savingPct ?? Number.NaN;
      expect(noisy).toBeLessThan(oracle);
      expect(noisy / oracle).toBeGreaterThan(0.65);
    }
  });
});
