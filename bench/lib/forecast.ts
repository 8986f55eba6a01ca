/**
 * How well each fallback forecaster predicts carbon intensity: mean absolute error and mean absolute
 * percentage error by how far ahead, on the Electricity Maps hourly traces (direct intensity) and on
 * WattTime's CAISO North month, where the forecasts WattTime actually issued are scored alongside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../../src/data/traces.js';
import {
  anomalyProfile,
  type Forecaster,
  persistence,
  sameHourYesterday,
  seasonalProfile,
} from '../../src/scheduler/forecast/index.js';
import { DIRECT_COLUMN } from '../../src/scheduler/sampleSignals.js';
import { type Series, seriesFromTrace, slotAt } from '../../src/scheduler/series.js';
import {
  type IssuedForecast,
  LBS_PER_MWH_TO_G_PER_KWH,
  parseIssuedForecasts,
} from '../../src/scheduler/signals/index.js';
import { SHARED_DATA } from './shared.js';

export const GRID_DIR = new URL('grid/', SHARED_DATA);
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

/** The fallback forecasters the benches compare, in table order. */
export function defaultForecasters(): Forecaster[] {
  return [persistence(), sameHourYesterday(), seasonalProfile(), anomalyProfile()];
}

/** A lead-time bucket: targets more than `afterMs` and at most `untilMs` ahead of the issue. */
export interface Bucket {
  label: string;
  afterMs: number;
  untilMs: number;
}

export const HOURLY_BUCKETS: Bucket[] = [
  { label: '≤1 h', afterMs: 0, untilMs: HOUR_MS },
  { label: '1–6 h', afterMs: HOUR_MS, untilMs: 6 * HOUR_MS },
  { label: '6–24 h', afterMs: 6 * HOUR_MS, untilMs: 24 * HOUR_MS },
  { label: '24–48 h', afterMs: 24 * HOUR_MS, untilMs: 48 * HOUR_MS },
];

export const WATTTIME_BUCKETS: Bucket[] = [
  { label: '≤30 min', afterMs: 0, untilMs: 30 * 60_000 },
  { label: '30–60 min', afterMs: 30 * 60_000, untilMs: HOUR_MS },
  { label: '60–85 min', afterMs: HOUR_MS, untilMs: 85 * 60_000 },
];

export interface ErrorRow {
  dataset: string;
  zone: string;
  forecaster: string;
  horizon: string;
  /** Mean absolute error, gCO2e/kWh. */
  maeGPerKwh: number;
  /** Mean absolute percentage error, percent of the actual value (actuals ≥ 1 g/kWh). */
  mapePct: number;
  /** Forecast–actual pairs scored. */
  n: number;
}

/** Percentage errors skip actual values below this (g/kWh): Ontario and CAISO reach 0, where MAPE is undefined. */
export const MAPE_FLOOR_G_PER_KWH = 1;

class Accumulator {
  absolute = 0;
  percent = 0;
  n = 0;
  nPercent = 0;
  add(predicted: number, actual: number): void {
    const error = Math.abs(predicted - actual);
    this.absolute += error;
    this.n++;
    if (Math.abs(actual) >= MAPE_FLOOR_G_PER_KWH) {
      this.percent += (100 * error) / Math.abs(actual);
      this.nPercent++;
    }
  }
}

/**
 * Scores forecasters on one series: a forecast is issued every `issueEverySlots` slots from
 * `warmupMs` in (so the seasonal profile has its weeks of history) until the last full horizon;
 * a slot `k` of a forecast lies `(k + 1) · step` ahead (its end).
 */
export function seriesErrors(
  dataset: string,
  series: Series,
  forecasters: Forecaster[],
  buckets: Bucket[] = HOURLY_BUCKETS,
  options: { warmupMs?: number; issueEverySlots?: number } = {},
): ErrorRow[] {
  const horizon = Math.ceil(Math.max(...buckets.map((b) => b.untilMs)) / series.stepMs);
  const bucketOf = Int32Array.from({ length: horizon }, (_, k) =>
    buckets.findIndex((b) => (k + 1) * series.stepMs > b.afterMs && (k + 1) * series.stepMs <= b.untilMs),
  );
  const first = Math.ceil((options.warmupMs ?? 4 * WEEK_MS) / series.stepMs);
  const every = options.issueEverySlots ?? 1;
  const out = new Float64Array(horizon);
  const rows: ErrorRow[] = [];
  for (const forecaster of forecasters) {
    const acc = buckets.map(() => new Accumulator());
    for (let from = first; from + horizon <= series.values.length; from += every) {
      forecaster.forecast(series, from, horizon, out);
      for (let k = 0; k < horizon; k++) {
        const b = bucketOf[k] as number;
        if (b >= 0) (acc[b] as Accumulator).add(out[k] as number, series.values[from + k] as number);
      }
    }
    rows.push(...toRows(dataset, series.zone, forecaster.name, buckets, acc));
  }
  return rows;
}

function toRows(
  dataset: string,
  zone: string,
  forecaster: string,
  buckets: Bucket[],
  acc: Accumulator[],
): ErrorRow[] {
  return buckets.map((b, i) => {
    const a = acc[i] as Accumulator;
    return {
      dataset,
      zone,
      forecaster,
      horizon: b.label,
      maeGPerKwh: a.absolute / a.n,
      mapePct: a.percent / a.nPercent,
      n: a.n,
    };
  });
}

/** Every Electricity Maps zone-year under grid/electricitymaps-hourly, hourly, direct intensity. */
export function electricityMapsSeries(dir: URL = new URL('electricitymaps-hourly/', GRID_DIR)): {
  dataset: string;
  series: Series;
}[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('_hourly.csv'))
    .sort()
    .map((file) => {
      const [zone, year] = file.split('_');
      const trace = readTrace(fileURLToPath(new URL(file, dir)), zone, { column: DIRECT_COLUMN });
      return {
        dataset: `${zone} ${year}`,
        series: { ...seriesFromTrace(trace, HOUR_MS), zone: zone as string },
      };
    });
}

/**
 * WattTime CAISO North, June 2023 (5-min MOER, g/kWh): at every issue time after the first week,
 * each forecaster and WattTime's own issued forecast predict the same 5–85 min ahead targets.
 */
export function wattTimeErrors(
  forecasters: Forecaster[] = defaultForecasters(),
  dir: URL = new URL('watttime-caiso-north-2023-06/', GRID_DIR),
): ErrorRow[] {
  const trace = readTrace(fileURLToPath(new URL('watttime2023_caiso-north_actual.csv', dir)), 'CAISO_NORTH');
  const actual = seriesFromTrace(
    {
      ...trace,
      points: trace.points.map((p) => ({
        startMs: p.startMs,
        gPerKwh: p.gPerKwh * LBS_PER_MWH_TO_G_PER_KWH,
      })),
    },
    300_000,
  );
  const issued = parseIssuedForecasts(
    readFileSync(new URL('watttime2023_caiso-north_forecast.csv', dir), 'utf8'),
    'watttime2023_caiso-north_forecast.csv',
  );
  const dataset = 'WattTime CAISO_NORTH 2023-06';
  const warmup = actual.startMs + WEEK_MS;
  const horizon = 85 / 5 + 1;
  const out = new Float64Array(horizon);
  const accs = new Map<string, Accumulator[]>();
  const accFor = (name: string) => {
    let a = accs.get(name);
    if (!a) {
      a = WATTTIME_BUCKETS.map(() => new Accumulator());
      accs.set(name, a);
    }
    return a;
  };
  // Scores one forecast's predictions for the targets WattTime issued (5–85 min ahead of the issue).
  const score = (
    name: string,
    forecast: IssuedForecast,
    from: number,
    predicted: (i: number, k: number) => number,
  ) => {
    const acc = accFor(name);
    forecast.points.forEach((p, i) => {
      const lead = p.startMs - forecast.requestMs;
      const b = WATTTIME_BUCKETS.findIndex((x) => lead > x.afterMs && lead <= x.untilMs);
      const target = slotAt(actual, p.startMs);
      const k = target - from;
      if (b < 0 || target >= actual.values.length || k < 0 || k >= horizon) return;
      (acc[b] as Accumulator).add(predicted(i, k), actual.values[target] as number);
    });
  };
  for (const forecast of issued) {
    if (forecast.requestMs < warmup) continue;
    const from = slotAt(actual, forecast.requestMs);
    for (const f of forecasters) {
      f.forecast(actual, from, horizon, out);
      score(f.name, forecast, from, (_i, k) => out[k] as number);
    }
    score('WattTime issued', forecast, from, (i) => (forecast.points[i] as { value: number }).value);
  }
  return [...accs.entries()].flatMap(([name, acc]) =>
    toRows(dataset, 'CAISO_NORTH', name, WATTTIME_BUCKETS, acc),
  );
}
