import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HourlyTrace } from '../../src/core/index.js';
import { readTrace } from '../../src/data/traces.js';
import type { Forecaster } from '../../src/scheduler/forecast/index.js';
import { type Job, planJob } from '../../src/scheduler/plan/index.js';
import { DIRECT_COLUMN } from '../../src/scheduler/sampleSignals.js';
import { HALF_HOUR_MS, type Series, seriesFromTrace } from '../../src/scheduler/series.js';
import { defaultForecasters } from './forecast.js';
import { EM_DIR, sliceSeries } from './schedulerInstances.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The simulation's fixed setup, printed with the tables. */
export const SIMULATION = {
  years: [2023, 2024],
  /** A job arrives at 00:00, 04:00, … UTC. */
  everyMs: 4 * HOUR_MS,
  /** Four weeks of history before the first job, so the seasonal profile has its full depth. */
  warmUpMs: 28 * DAY_MS,
  durationMs: 2 * HOUR_MS,
  /** Time-shifting window: the job must finish within 12 h of arriving. */
  windowMs: 12 * HOUR_MS,
  energyKwh: 1,
};

/**
 * How a job may move: `time` within its window in its home zone; `region` to any zone but starting
 * at once; `both` within its window in any zone.
 */
export type ShiftMode = 'time' | 'region' | 'both';
export const SHIFT_MODES: ShiftMode[] = ['time', 'region', 'both'];

export interface SimulationRow {
  mode: ShiftMode;
  interruptible: boolean;
  zone: string;
  forecaster: string;
  jobs: number;
  /** Totals over the zone's jobs, gCO2e (actual intensities). */
  runNowG: number;
  realisedG: number;
  oracleG: number;
  /** Saving against run-now, % of run-now. */
  savingPct: number;
  oracleSavingPct: number;
  /** Saving reached as a share of the oracle's saving, %. */
  shareOfOraclePct: number;
}

/**
 * Every Electricity Maps zone with all of `SIMULATION.years` (direct intensity), the years joined and
 * put on half-hour slots (each hourly value covers both of its half hours).
 */
export function simulationZones(): Series[] {
  const files = readdirSync(EM_DIR).filter((f) => f.endsWith('_hourly.csv'));
  const zones = [...new Set(files.map((f) => f.split('_')[0] as string))].sort();
  return zones
    .filter((zone) => SIMULATION.years.every((y) => files.includes(`${zone}_${y}_hourly.csv`)))
    .map((zone) => {
      const traces = SIMULATION.years.map((y) =>
        readTrace(fileURLToPath(new URL(`${zone}_${y}_hourly.csv`, EM_DIR)), zone, { column: DIRECT_COLUMN }),
      );
      const joined: HourlyTrace = {
        zone,
        source: traces[0]?.source ?? zone,
        points: traces.flatMap((t) => t.points),
      };
      return seriesFromTrace(joined, HALF_HOUR_MS);
    });
}

/**
 * Rolling simulation: at each arrival, every forecaster predicts every zone from what was known
 * then; each job is planned on those forecasts with `planJob` and judged on the actuals, beside
 * the oracle (the same plan on the actuals) and run-now (start at once in the home zone).
 */
export function simulate(
  zones: readonly Series[],
  forecasters: readonly Forecaster[] = defaultForecasters(),
): SimulationRow[] {
  const first = zones[0] as Series;
  const step = first.stepMs;
  for (const z of zones) {
    if (z.stepMs !== step || z.startMs !== first.startMs) {
      throw new Error(`Zone ${z.zone} is not on ${first.zone}'s slot grid; the simulation needs one grid.`);
    }
  }
  const length = Math.min(...zones.map((z) => z.values.length));
  const horizon = SIMULATION.windowMs / step;
  const names = zones.map((z) => z.zone);
  const rows = new Map<string, SimulationRow>();
  const row = (mode: ShiftMode, interruptible: boolean, zone: string, forecaster: string) => {
    const key = `${mode}|${interruptible}|${zone}|${forecaster}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        mode,
        interruptible,
        zone,
        forecaster,
        jobs: 0,
        runNowG: 0,
        realisedG: 0,
        oracleG: 0,
        savingPct: 0,
        oracleSavingPct: 0,
        shareOfOraclePct: 0,
      };
      rows.set(key, r);
    }
    return r;
  };
  const buffers = zones.map(() => forecasters.map(() => new Float64Array(horizon)));
  for (let from = SIMULATION.warmUpMs / step; from + horizon <= length; from += SIMULATION.everyMs / step) {
    const arrivalMs = first.startMs + from * step;
    const actual = new Map(zones.map((z) => [z.zone, sliceSeries(z, from, from + horizon)]));
    const forecasts = forecasters.map(
      (f, fi) =>
        new Map(
          zones.map((z, zi) => {
            const values = f.forecast(z, from, horizon, (buffers[zi] as Float64Array[])[fi]);
            const s: Series = { zone: z.zone, source: f.name, startMs: arrivalMs, stepMs: step, values };
            return [z.zone, s];
          }),
        ),
    );
    for (const home of names) {
      for (const mode of SHIFT_MODES) {
        for (const interruptible of [false, true]) {
          if (mode === 'region' && interruptible) continue; // no window to interrupt within
          const job: Job = {
            id: `${home}@${arrivalMs}`,
            energyKwh: SIMULATION.energyKwh,
            durationMs: SIMULATION.durationMs,
            earliestStartMs: arrivalMs,
            deadlineMs: arrivalMs + (mode === 'region' ? SIMULATION.durationMs : SIMULATION.windowMs),
            regions: mode === 'time' ? [home] : [home, ...names.filter((n) => n !== home)],
            interruptible,
          };
          forecasters.forEach((f, fi) => {
            const plan = planJob(job, forecasts[fi] as Map<string, Series>, { actual });
            const r = row(mode, interruptible, home, f.name);
            r.jobs++;
            r.runNowG += plan.runNowG;
            r.realisedG += plan.realisedG;
            r.oracleG += plan.oracleG;
          });
        }
      }
    }
  }
  const out = [...rows.values()];
  for (const r of out) {
    r.savingPct = ((r.runNowG - r.realisedG) / r.runNowG) * 100;
    r.oracleSavingPct = ((r.runNowG - r.oracleG) / r.runNowG) * 100;
    r.shareOfOraclePct = ((r.runNowG - r.realisedG) / (r.runNowG - r.oracleG)) * 100;
  }
  return out;
}
