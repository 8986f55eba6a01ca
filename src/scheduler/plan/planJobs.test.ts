import { describe, expect, it } from 'vitest';
import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';
import {
  bruteForceJoint,
  H,
  job,
  random,
  SLOT,
  series,
  signals,
  slotsOfRuns,
  T0,
  tinyInstance,
} from './fixtures/plans.js';
import { type Job, type JobsPlan, planJob, planJobs } from './index.js';

const DE = series('DE', [300, 200, 100, 150, 400, 50, 60, 500]);
const at = (hours: number) => T0 + hours * H;

/** Jobs per slot and zone that a plan uses, from its runs. */
function usage(plan: JobsPlan, sig: ReadonlyMap<string, Series>): Map<string, Int32Array> {
  const used = new Map<string, Int32Array>();
  for (const p of plan.plans) {
    const s = sig.get(p.region) as Series;
    const u = used.get(p.region) ?? new Int32Array(s.values.length);
    used.set(p.region, u);
    for (const t of slotsOfRuns(p.runs, s)) u[t] = (u[t] as number) + 1;
  }
  return used;
}

describe('planJobs, worked example', () => {
  it('gives the bigger job the best hour when only one job fits per slot', () => {
    // Both want slots 5–6 (mean 55). B (2 kWh) gets them: 110 g; A then takes the best pair left,
    // slots 2–3 (mean 125): 125 g. Swapping would cost 55 + 2 × 125 = 305 g instead of 235 g.
    const A = job({ id: 'A' });
    const B = job({ id: 'B', energyKwh: 2 });
    const free = planJobs([A, B], signals(DE));
    expect(free.method).toBe('per-job optimum');
    expect(free.expectedG).toBeCloseTo(55 + 110, 9);

    const plan = planJobs([A, B], signals(DE), { capacity: () => 1 });
    expect(plan.method).toBe('greedy');
    expect(plan.capacityBinds).toBe(true);
    expect(plan.plans.map((p) => [p.jobId, p.runs])).toEqual([
      ['A', [{ startMs: at(1), endMs: at(2) }]],
      ['B', [{ startMs: at(2.5), endMs: at(3.5) }]],
    ]);
    expect(plan.expectedG).toBeCloseTo(235, 9);
    // The Lagrangian bound closes the gap here: the capacity-free 165 g is far below.
    expect(plan.lowerBoundG).toBeGreaterThan(165);
    expect(plan.lowerBoundG).toBeLessThanOrEqual(235 + 1e-9);
    expect(plan.gapPct).toBeCloseTo(((235 - plan.lowerBoundG) / plan.lowerBoundG) * 100, 9);
    expect(plan.runNowG).toBeCloseTo(250 + 500, 9);
  });

  it('reads per-slot capacity arrays and reports jobs that cannot fit', () => {
    const capacity = Int32Array.from([1, 1, 1, 1, 1, 0, 0, 1]);
    const plan = planJobs([job({ id: 'A' })], signals(DE), { capacity: () => capacity });
    expect(plan.plans[0]?.runs).toEqual([{ startMs: at(1), endMs: at(2) }]); // 5–6 closed
    const none = planJobs([job({ id: 'A' })], signals(DE), { capacity: () => 0 });
    expect(none.plans).toEqual([]);
    expect(none.unplaced).toEqual([{ jobId: 'A', reason: expect.stringMatching(/no slots with capacity/) }]);
    expect(none.gapPct).toBeNull();
  });
});

function randomJobs(rand: () => number, count: number, zones: string[], n: number): Job[] {
  return Array.from({ length: count }, (_, i) => {
    const k = 1 + Math.floor(rand() * 6);
    const first = Math.floor(rand() * (n - k - 2));
    const last = Math.min(n, first + k + 1 + Math.floor(rand() * 20));
    return job({
      id: `r${i}`,
      energyKwh: 0.1 + rand() * 10,
      durationMs: (k - (rand() < 0.4 ? 0.25 : 0)) * SLOT,
      earliestStartMs: T0 + first * SLOT + (rand() < 0.3 ? 600_000 : 0),
      deadlineMs: T0 + last * SLOT + SLOT,
      regions: zones.slice(Math.floor(rand() * zones.length)),
      interruptible: rand() < 0.5,
    });
  });
}

function randomSignals(rand: () => number, zones: string[], n: number) {
  return signals(
    ...zones.map((z) =>
      series(
        z,
        Array.from({ length: n }, () => 20 + rand() * 500),
      ),
    ),
  );
}

describe('planJobs without binding capacity', () => {
  it('gives every job exactly its planJob optimum', () => {
    const rand = random(3);
    const zones = ['A', 'B', 'C'];
    const sig = randomSignals(rand, zones, 60);
    const jobs = randomJobs(rand, 200, zones, 58);
    const actual = randomSignals(rand, zones, 60);
    for (const options of [{}, { capacity: () => 1000 }, { capacity: () => undefined }]) {
      const plan = planJobs(jobs, sig, { ...options, actual });
      expect(plan.method).toBe('per-job optimum');
      expect(plan.gapPct).toBe(0);
      expect(plan.plans).toEqual(jobs.map((j) => planJob(j, sig, { actual })));
      expect(plan.lowerBoundG).toBeCloseTo(plan.expectedG, 6);
    }
  });
});

describe('planJobs under capacity', () => {
  it('never exceeds capacity, and its bound stays below its plan', () => {
    const rand = random(5);
    const zones = ['A', 'B', 'C'];
    for (let c = 0; c < 12; c++) {
      const sig = randomSignals(rand, zones, 50);
      const jobs = randomJobs(rand, 150, zones, 48);
      const caps = new Map(
        zones.map((z) => [z, Int32Array.from({ length: 50 }, () => Math.floor(rand() * 8))]),
      );
      const plan = planJobs(jobs, sig, { capacity: (z) => (z === 'C' ? 4 : caps.get(z)) });
      expect(plan.capacityBinds).toBe(true);
      for (const [zone, used] of usage(plan, sig)) {
        const cap = zone === 'C' ? new Int32Array(50).fill(4) : (caps.get(zone) as Int32Array);
        used.forEach((u, t) =>
          expect(u, `case ${c} zone ${zone} slot ${t}`).toBeLessThanOrEqual(cap[t] as number),
        );
      }
      expect(plan.plans.length + plan.unplaced.length).toBe(jobs.length);
      expect(plan.lowerBoundG).toBeLessThanOrEqual(plan.expectedG + 1e-6);
      // Each placed job is still a valid single-job placement: inside its window, whole duration.
      for (const p of plan.plans) {
        const j = jobs.find((x) => x.id === p.jobId) as Job;
        expect(p.runs[0]?.startMs).toBeGreaterThanOrEqual(j.earliestStartMs);
        expect(p.runs.at(-1)?.endMs).toBeLessThanOrEqual(j.deadlineMs);
        expect(p.runs.reduce((d, r) => d + r.endMs - r.startMs, 0)).toBe(j.durationMs);
        if (!j.interruptible) expect(p.runs).toHaveLength(1);
      }
    }
  });

  it('stays close to the exact optimum on tiny instances (brute force)', () => {
    const rand = random(11);
    let compared = 0;
    let optimal = 0;
    let missed = 0;
    let gapSum = 0;
    for (let c = 0; c < 300; c++) {
      const { sig, capacity, jobs } = tinyInstance(rand, c);
      const best = bruteForceJoint(jobs, sig, capacity);
      const plan = planJobs(jobs, sig, { capacity: (z) => capacity.get(z) });
      if (!Number.isFinite(best)) {
        expect(plan.unplaced.length, `case ${c}: nothing fits, so something is unplaced`).toBeGreaterThan(0);
        continue;
      }
      if (plan.unplaced.length > 0) {
        missed++;
        continue;
      }
      compared++;
      // Never better than the optimum, and the bound never above it.
      expect(plan.expectedG, `case ${c}`).toBeGreaterThanOrEqual(best * (1 - 1e-9));
      expect(plan.lowerBoundG, `case ${c}`).toBeLessThanOrEqual(best * (1 + 1e-9));
      const gap = (plan.expectedG - best) / best;
      if (gap < 1e-9) optimal++;
      gapSum += gap;
    }
    // Measured on 2,000 cases (bench:scheduler prints it): 93 % optimal, mean gap 0.46 %, and 3 % of
    // the feasible cases left a job out.
    expect(compared).toBeGreaterThan(250);
    expect(optimal / compared).toBeGreaterThan(0.9);
    expect(gapSum / compared).toBeLessThan(0.01);
    expect(missed / (compared + missed)).toBeLessThan(0.06);
  });

  it('plans the oracle under the same capacity', () => {
    const forecast = series('DE', [300, 60, 60, 300, 300, 300, 300, 300]);
    const plan = planJobs([job({ id: 'A' }), job({ id: 'B', energyKwh: 2 })], signals(forecast), {
      actual: signals(DE),
      capacity: () => 1,
    });
    // Oracle: B in 5–6 (110 g), A in 2–3 (125 g).
    expect(plan.oracleG).toBeCloseTo(235, 9);
    expect(plan.plans.find((p) => p.jobId === 'B')?.oracleG).toBeCloseTo(110, 9);
  });
});

describe('planJobs errors', () => {
  it('rejects duplicate ids and bad capacities', () => {
    const expectError = (f: () => unknown, pattern: RegExp) => {
      expect(f).toThrow(GreenprintError);
      expect(f).toThrow(pattern);
    };
    expectError(() => planJobs([job(), job()], signals(DE)), /Job id "j1" appears twice/);
    expectError(() => planJobs([job()], signals(DE), { capacity: () => 1.5 }), /whole number of jobs/);
    expectError(
      () => planJobs([job()], signals(DE), { capacity: () => new Int32Array(3) }),
      /has 3 slots but the zone's signal has 8/,
    );
    expectError(() => planJobs([job({ regions: ['FR'] })], signals(DE)), /no signal for zone "FR"/);
  });
});
