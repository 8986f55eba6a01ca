import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR, readTrace } from '../data/index.js';
import { anomalyProfile, type Forecaster } from './forecast/index.js';
import { type PlanningSignals, traceSignals } from './planningSignals.js';
import { type Series, seriesFromTrace } from './series.js';

/** Electricity Maps' operational (direct) intensity: the scheduling signal, as SOURCES advise. */
export const DIRECT_COLUMN = 'Carbon Intensity gCO₂eq/kWh (direct)';

/** `DIRECT_COLUMN` when the trace at `path` has it (Electricity Maps exports), else the format's default. */
export function schedulingColumn(path: string): { column?: string } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('utf8').includes(DIRECT_COLUMN) ? { column: DIRECT_COLUMN } : {};
  } finally {
    closeSync(fd);
  }
}

/** Parsed once per folder and process: the demo, the Batch API and the dashboard all read them. */
const parsed = new Map<string, ReadonlyMap<string, Series>>();

/** The hourly traces shipped in `data/grid/`, as half-hour series by zone (DE, GB, US-CAL-CISO). */
export function shippedSeries(dir: URL = new URL('grid/', DEFAULT_DATA_DIR)): ReadonlyMap<string, Series> {
  const known = parsed.get(dir.href);
  if (known) return known;
  const series = new Map<string, Series>();
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('_hourly.csv'))
    .sort()) {
    const trace = readTrace(fileURLToPath(new URL(name, dir)), undefined, { column: DIRECT_COLUMN });
    series.set(trace.zone, seriesFromTrace(trace));
  }
  parsed.set(dir.href, series);
  return series;
}

/**
 * The default signal when no provider is configured: the shipped 2024 traces replayed week for week
 * onto today, the future predicted by the anomaly profile (so plans are made without
 * seeing the values they are judged by). A sample for first runs and demos, labelled as such.
 */
export function sampleSignals(forecaster: Forecaster = anomalyProfile()): PlanningSignals {
  return traceSignals(shippedSeries(), { replay: true, forecaster });
}
