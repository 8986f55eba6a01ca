import { fileURLToPath } from 'node:url';
import { readTrace } from '../../src/data/traces.js';
import { mulberry32 } from '../../src/scheduler/forecast/random.js';
import type { Job } from '../../src/scheduler/plan/index.js';
import { DIRECT_COLUMN } from '../../src/scheduler/sampleSignals.js';
import { HALF_HOUR_MS, type Series, seriesFromTrace } from '../../src/scheduler/series.js';
import { HAS_SHARED_DATA, SHARED_DATA } from './shared.js';

export const EM_DIR = new URL('grid/electricitymaps-hourly/', SHARED_DATA);
const HOUR_MS = 3_600_000;

/** Mulberry32, seeded: the same cases on every run. */
export const random = mulberry32;

/** One zone-year of Electricity Maps direct intensity on half-hour slots. */
export function emSeries(zone: string, year: number): Series {
  const path = fileURLToPath(new URL(`${zone}_${year}_hourly.csv`, EM_DIR));
  return seriesFromTrace(readTrace(path, zone, { column: DIRECT_COLUMN }), HALF_HOUR_MS);
}

/** A window of a series as its own series (no copy). */
export function sliceSeries(s: Series, from: number, to: number): Series {
  return { ...s, startMs: s.startMs + from * s.stepMs, values: s.values.subarray(from, to) };
}

export const TIMING_ZONES = ['DE-LU', 'GB', 'US-CAL-CISO', 'US-TEX-ERCO', 'CA-ON'];

/**
 * The timing instance: `slots` half-hour slots for five zones (the first days of March 2024 from
 * the Electricity Maps traces when the shared data is there, else seeded diurnal curves), and `count`
 * jobs: earliest start uniform over the first two-thirds of the horizon, 30 min–4 h long, slack
 * 0–24 h (clipped to the horizon), 0.1–50 kWh log-uniform, half interruptible, all five zones
 * allowed with a random home zone.
 */
export function timingInstance(count: number, slots: number, seed = 1) {
  const rand = random(seed);
  const startMs = Date.UTC(2024, 2, 1);
  const signals = new Map<string, Series>();
  for (const [z, zone] of TIMING_ZONES.entries()) {
    let values: Float64Array;
    if (HAS_SHARED_DATA) {
      const year = emSeries(zone, 2024);
      const from = (startMs - year.startMs) / year.stepMs;
      values = year.values.slice(from, from + slots);
    } else {
      values = Float64Array.from(
        { length: slots },
        (_, i) => 100 + 60 * z + 80 * Math.sin((2 * Math.PI * i) / 48 + z) + 20 * rand(),
      );
    }
    signals.set(zone, { zone, source: 'timing instance', startMs, stepMs: HALF_HOUR_MS, values });
  }
  const horizonMs = slots * HALF_HOUR_MS;
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) {
    const durationMs = (1 + Math.floor(rand() * 16)) * 0.25 * HOUR_MS;
    const earliestStartMs = startMs + Math.floor(rand() * (horizonMs * (2 / 3) - durationMs));
    const slack = rand() * 24 * HOUR_MS;
    const deadlineMs = Math.min(startMs + horizonMs, earliestStartMs + durationMs + HOUR_MS + slack);
    const home = Math.floor(rand() * TIMING_ZONES.length);
    jobs.push({
      id: `job${i}`,
      energyKwh: 0.1 * 500 ** rand(),
      durationMs,
      earliestStartMs,
      deadlineMs,
      regions: [...TIMING_ZONES.slice(home), ...TIMING_ZONES.slice(0, home)],
      interruptible: rand() < 0.5,
    });
  }
  return { signals, jobs };
}
