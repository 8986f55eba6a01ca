import { bruteForceJoint, random, tinyInstance } from '../../src/scheduler/plan/fixtures/plans.js';
import { type JobsPlan, planJobs } from '../../src/scheduler/plan/index.js';
import { TIMING_ZONES, timingInstance } from './schedulerInstances.js';

export interface TimingRow {
  capacity: string;
  jobs: number;
  zones: number;
  slots: number;
  /** Median and fastest of the timed runs, ms (one warm-up run first). */
  medianMs: number;
  minMs: number;
  jobsPerS: number;
  method: JobsPlan['method'];
  expectedG: number;
  runNowG: number;
  lowerBoundG: number;
  gapPct: number | null;
  unplaced: number;
}

/** planJobs on the timing instance without capacity and with two capacity levels (jobs per zone and slot). */
export function timePlanning(count = 10_000, slots = 144, runs = 5): TimingRow[] {
  const { signals, jobs } = timingInstance(count, slots);
  const cases: [string, number | undefined][] = [
    ['none', undefined],
    ['400 per zone-slot', 400],
    ['200 per zone-slot', 200],
  ];
  return cases.map(([label, cap]) => {
    const options = cap === undefined ? {} : { capacity: () => cap };
    let plan = planJobs(jobs, signals, options);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      plan = planJobs(jobs, signals, options);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const medianMs = times[Math.floor(times.length / 2)] as number;
    return {
      capacity: label,
      jobs: count,
      zones: TIMING_ZONES.length,
      slots,
      medianMs,
      minMs: times[0] as number,
      jobsPerS: (count / medianMs) * 1000,
      method: plan.method,
      expectedG: plan.expectedG,
      runNowG: plan.runNowG,
      lowerBoundG: plan.lowerBoundG,
      gapPct: plan.gapPct,
      unplaced: plan.unplaced.length,
    };
  });
}

export interface GapSummary {
  instances: number;
  /** Instances where some assignment fits and capacity binds or not. */
  feasible: number;
  /** Feasible instances where the planner left a job out. */
  leftOut: number;
  compared: number;
  optimalPct: number;
  meanGapPct: number;
  p90GapPct: number;
  p99GapPct: number;
  maxGapPct: number;
  /** What the plans reported against their own lower bound (an upper bound on the true gap). */
  meanReportedGapPct: number;
}

/** The greedy's true gap against an exhaustive solver on tiny instances (2–4 jobs, 6–10 slots, 1–2 zones, capacity 1–2). */
export function measureGap(instances = 2000, seed = 11): GapSummary {
  const rand = random(seed);
  const gaps: number[] = [];
  let feasible = 0;
  let leftOut = 0;
  let reported = 0;
  for (let c = 0; c < instances; c++) {
    const { sig, capacity, jobs } = tinyInstance(rand, c);
    const best = bruteForceJoint(jobs, sig, capacity);
    if (!Number.isFinite(best)) continue;
    feasible++;
    const plan = planJobs(jobs, sig, { capacity: (z) => capacity.get(z) });
    if (plan.unplaced.length > 0) {
      leftOut++;
      continue;
    }
    gaps.push(Math.max(0, (plan.expectedG - best) / best) * 100);
    reported += plan.gapPct ?? 0;
  }
  gaps.sort((a, b) => a - b);
  const q = (p: number) => gaps[Math.floor(p * (gaps.length - 1))] ?? 0;
  return {
    instances,
    feasible,
    leftOut,
    compared: gaps.length,
    optimalPct: (gaps.filter((g) => g < 1e-7).length / gaps.length) * 100,
    meanGapPct: gaps.reduce((s, g) => s + g, 0) / gaps.length,
    p90GapPct: q(0.9),
    p99GapPct: q(0.99),
    maxGapPct: q(1),
    meanReportedGapPct: reported / gaps.length,
  };
}
