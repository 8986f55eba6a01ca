import { describe, expect, it } from 'vitest';
import { GreenprintError } from '../../core/index.js';
import { allOptions, H, job, random, SLOT, series, signals, slotsOfRuns, T0 } from './fixtures/plans.js';
import { planJob } from './index.js';

// Half-hour slots from 2024-01-01T00:00Z; the job window is 00:00 → 04:00 (8 slots).
const DE = series('DE', [300, 200, 100, 150, 400, 50, 60, 500]);
const at = (hours: number) => T0 + hours * H;

describe('planJob, worked examples', () => {
  it('puts a contiguous hour in the lowest pair of adjacent slots', () => {
    // Pair totals 500 300 250 550 450 110 560: slots 5–6 (02:30–03:30), mean 55 g/kWh.
    const plan = planJob(job(), signals(DE));
    expect(plan.region).toBe('DE');
    expect(plan.runs).toEqual([{ startMs: at(2.5), endMs: at(3.5) }]);
    expect(plan.slots).toBe(2);
    expect(plan.expectedG).toBeCloseTo(55, 9);
    expect(plan.runNowG).toBeCloseTo(250, 9); // (300 + 200) / 2 × 1 kWh
    expect(plan.savingVsRunNowG).toBeCloseTo(195, 9);
    expect(plan.savingVsRunNowPct).toBeCloseTo(78, 9);
    // Without actuals the oracle is the plan itself.
    expect(plan.realisedG).toBe(plan.expectedG);
    expect(plan.oracleG).toBe(plan.expectedG);
    expect(plan.shortfallVsOracleG).toBe(0);
  });

  it('runs a 90-minute job contiguously or in its three lowest slots', () => {
    const base = job({ durationMs: 1.5 * H, energyKwh: 1.5 });
    // Triples: 600 450 650 600 510 610: slots 1–3, mean 150 → 225 g.
    const contiguous = planJob(base, signals(DE));
    expect(contiguous.runs).toEqual([{ startMs: at(0.5), endMs: at(2) }]);
    expect(contiguous.expectedG).toBeCloseTo(225, 9);
    // Lowest three: 50, 60, 100 → mean 70 → 105 g, in two runs.
    const interruptible = planJob({ ...base, interruptible: true }, signals(DE));
    expect(interruptible.runs).toEqual([
      { startMs: at(1), endMs: at(1.5) },
      { startMs: at(2.5), endMs: at(3.5) },
    ]);
    expect(interruptible.expectedG).toBeCloseTo(105, 9);
    expect(interruptible.runNowG).toBeCloseTo(300, 9); // (300 + 200 + 100) / 3 × 1.5
  });

  it('uses only part of the last slot when the duration is not whole slots', () => {
    // 75 min = 2½ slots, 2.5 kWh: 1 kWh per full slot, 0.5 kWh in the partial one.
    const base = job({ durationMs: 1.25 * H, energyKwh: 2.5 });
    // Contiguous: v[s] + v[s+1] + ½v[s+2]; best s = 5 would need slot 7 (500): 50+60+250 = 360;
    // s = 1: 200+100+75 = 375; s = 2: 100+150+200 = 450; s = 0: 300+200+50 = 550 → s = 5.
    const contiguous = planJob(base, signals(DE));
    expect(contiguous.runs).toEqual([{ startMs: at(2.5), endMs: at(3.75) }]);
    expect(contiguous.expectedG).toBeCloseTo(360, 9);
    // Interruptible: lowest three are 50, 60, 100; the dearest (100) takes the half → 160 g.
    const interruptible = planJob({ ...base, interruptible: true }, signals(DE));
    expect(interruptible.expectedG).toBeCloseTo(160, 9);
    expect(interruptible.runs).toEqual([
      { startMs: at(1), endMs: at(1.25) },
      { startMs: at(2.5), endMs: at(3.5) },
    ]);
  });

  it('moves to a greener zone, and measures run-now in the home zone', () => {
    const GB = series('GB', [40, 40, 40, 40, 40, 40, 40, 40]);
    const plan = planJob(job({ regions: ['DE', 'GB'] }), signals(DE, GB));
    expect(plan.region).toBe('GB');
    expect(plan.runs).toEqual([{ startMs: at(0), endMs: at(1) }]); // flat: the earliest start
    expect(plan.expectedG).toBeCloseTo(40, 9);
    expect(plan.runNowG).toBeCloseTo(250, 9);
  });

  it('keeps the home zone on a tie', () => {
    const FR = series('FR', [300, 200, 100, 150, 400, 50, 60, 500]);
    expect(planJob(job({ regions: ['DE', 'FR'] }), signals(DE, FR)).region).toBe('DE');
    expect(planJob(job({ regions: ['FR', 'DE'] }), signals(DE, FR)).region).toBe('FR');
  });

  it('judges a forecast plan against the actuals and the oracle', () => {
    // The forecast believes slots 1–2 are cheap; in fact slots 5–6 were.
    const forecast = series('DE', [300, 60, 60, 300, 300, 300, 300, 300]);
    const plan = planJob(job(), signals(forecast), { actual: signals(DE) });
    expect(plan.runs).toEqual([{ startMs: at(0.5), endMs: at(1.5) }]);
    expect(plan.expectedG).toBeCloseTo(60, 9);
    expect(plan.realisedG).toBeCloseTo(150, 9); // (200 + 100) / 2
    expect(plan.runNowG).toBeCloseTo(250, 9);
    expect(plan.oracleG).toBeCloseTo(55, 9);
    expect(plan.oracleRegion).toBe('DE');
    expect(plan.savingVsRunNowG).toBeCloseTo(100, 9);
    expect(plan.shortfallVsOracleG).toBeCloseTo(95, 9);
  });

  it('starts no earlier than now', () => {
    const plan = planJob(job(), signals(DE), { nowMs: at(3) });
    expect(plan.runs).toEqual([{ startMs: at(3), endMs: at(4) }]);
    expect(plan.runNowG).toBeCloseTo(plan.expectedG, 9);
  });

  it('rounds an off-grid earliest start up to the next slot', () => {
    const plan = planJob(job({ earliestStartMs: at(2.6), interruptible: true }), signals(DE));
    expect(plan.runs).toEqual([{ startMs: at(3), endMs: at(4) }]); // slots 6 and 7 are all that is left
  });
});

describe('planJob is exact', () => {
  it('matches brute force on random small cases', () => {
    const rand = random(7);
    for (let c = 0; c < 400; c++) {
      const n = 4 + Math.floor(rand() * 9);
      const zones = ['A', 'B', 'C'].slice(0, 1 + Math.floor(rand() * 3));
      // Integer values half the time, to exercise ties.
      const ints = rand() < 0.5;
      const sig = signals(
        ...zones.map((z) =>
          series(
            z,
            Array.from({ length: n }, () => (ints ? Math.floor(rand() * 5) : rand() * 500)),
          ),
        ),
      );
      const k = 1 + Math.floor(rand() * Math.min(4, n));
      const durationMs = (k - [0, 0.5, 0.75][Math.floor(rand() * 3)]!) * SLOT;
      const first = Math.floor(rand() * (n - k + 1));
      const last = first + k + Math.floor(rand() * (n - first - k + 1));
      const j = job({
        id: `case${c}`,
        energyKwh: 0.5 + rand() * 3,
        durationMs,
        earliestStartMs: T0 + first * SLOT - Math.floor(rand() * SLOT * 0.9),
        deadlineMs: T0 + last * SLOT,
        regions: zones,
        interruptible: rand() < 0.5,
      });
      const options = allOptions(j, sig);
      const best = Math.min(...options.map((o) => o.grams));
      const plan = planJob(j, sig);
      expect(plan.expectedG, `case ${c}`).toBeCloseTo(best, 9);
      // The runs are a real option: right zone, right slot count, within the window.
      const s = sig.get(plan.region)!;
      const slots = slotsOfRuns(plan.runs, s);
      expect(slots).toHaveLength(plan.slots);
      expect(plan.runs.reduce((d, r) => d + r.endMs - r.startMs, 0)).toBe(j.durationMs);
      expect(plan.runs[0]!.startMs).toBeGreaterThanOrEqual(j.earliestStartMs);
      expect(plan.runs.at(-1)!.endMs).toBeLessThanOrEqual(j.deadlineMs);
      if (!j.interruptible) expect(plan.runs).toHaveLength(1);
      if (ints && !j.interruptible) {
        // Ties go to the earliest zone in the job's list, then to the earliest start.
        const first = options.find((o) => Math.abs(o.grams - best) <= 1e-9 * Math.abs(best))!;
        expect(plan.region, `case ${c}`).toBe(first.zone);
        expect(slots[0], `case ${c}`).toBe(first.slots[0]);
      }
    }
  });
});

describe('planJob errors', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(GreenprintError);
      return `${(e as GreenprintError).code}: ${(e as Error).message}`;
    }
    throw new Error('expected an error');
  };

  it('says when the deadline leaves too little time', () => {
    expect(code(() => planJob(job({ deadlineMs: at(0.5) }), signals(DE)))).toMatch(
      /^invalid_input: Job "j1": the deadline leaves too little time: it needs 1 h but .* leaves 30 min/,
    );
    expect(code(() => planJob(job(), signals(DE), { nowMs: at(3.5) }))).toMatch(/counting from now/);
    // Enough time in total, but not on the slot grid: 01:10 → 02:10 holds no whole hour of slots.
    expect(
      code(() => planJob(job({ earliestStartMs: at(1 + 1 / 6), deadlineMs: at(2 + 1 / 6) }), signals(DE))),
    ).toMatch(/^invalid_input: .*30 min slot grid.*fewer than the 2 slots/);
  });

  it('names an unknown zone', () => {
    expect(code(() => planJob(job({ regions: ['DE', 'FR'] }), signals(DE)))).toMatch(
      /^unknown_region: Job "j1": no signal for zone "FR" \(have: DE\)/,
    );
  });

  it('names the zone and the range a signal fails to cover', () => {
    expect(code(() => planJob(job({ deadlineMs: at(6) }), signals(DE)))).toBe(
      'invalid_input: Job "j1": the signal for zone DE covers 2024-01-01T00:00Z → 2024-01-01T04:00Z but the job\'s window needs 2024-01-01T00:00Z → 2024-01-01T06:00Z. Extend the signal or move the job\'s window.',
    );
    const short = series('DE', [1, 2, 3, 4, 5, 6]);
    expect(code(() => planJob(job(), signals(DE), { actual: signals(short) }))).toMatch(
      /the actual signal for zone DE covers .* → 2024-01-01T03:00Z/,
    );
  });

  it('rejects malformed jobs and misaligned actuals', () => {
    expect(code(() => planJob(job({ regions: [] }), signals(DE)))).toMatch(/at least one zone/);
    expect(code(() => planJob(job({ durationMs: 0 }), signals(DE)))).toMatch(/durationMs must be/);
    expect(code(() => planJob(job({ energyKwh: Number.NaN }), signals(DE)))).toMatch(/energyKwh must be/);
    const shifted = series('DE', [1, 2, 3, 4, 5, 6, 7, 8, 9], T0 - 60_000);
    expect(code(() => planJob(job(), signals(DE), { actual: signals(shifted) }))).toMatch(
      /not on the signal's slot grid/,
    );
  });
});
