import { readFile as readFileFromDisk } from 'node:fs/promises';
import { basename } from 'node:path';
import { GreenprintError } from '../../core/index.js';
import { parseTrace } from '../../data/traces.js';
import { HALF_HOUR_MS } from '../series.js';
import {
  type IssuedForecast,
  LBS_PER_MWH_TO_G_PER_KWH,
  latestIssued,
  parseIssuedForecasts,
} from './issuedForecasts.js';
import { type Point, pointsToSeries } from './slots.js';
import { type CarbonIntensitySource, type SignalSeries, signalWarning } from './source.js';

export interface TraceFile {
  zone: string;
  path: string;
  /** Value column by header (e.g. `Carbon Intensity gCO₂eq/kWh (direct)`); the format's default otherwise. */
  column?: string;
}

export interface TraceFileSourceOptions {
  /** Actuals: Electricity Maps hourly exports, Let's Wait Awhile CSVs, WattTime actuals. */
  traces: TraceFile[];
  /** Forecasts as issued: WattTime `request_time,forecast_time,<region>` CSVs. */
  forecasts?: { zone: string; path: string }[];
  /** Slot length of the returned series, ms (default 30 min). */
  stepMs?: number;
  /** Injected for tests; reads UTF-8 text from disk by default. */
  readFile?: (path: string) => Promise<string>;
}

/**
 * Carbon intensity from recorded files. WattTime files (MOER in lbs CO2/MWh) are converted to
 * g/kWh (× 0.45359). `forecast` returns the latest forecast issued at or before `fromMs`, cut to
 * the slots it covers.
 */
export function traceFileSource(options: TraceFileSourceOptions): CarbonIntensitySource {
  const stepMs = options.stepMs ?? HALF_HOUR_MS;
  const read = options.readFile ?? ((path: string) => readFileFromDisk(path, 'utf8'));
  const traces = new Map<string, Promise<{ source: string; points: Point[] }>>();
  const issued = new Map<string, Promise<IssuedForecast[]>>();

  const traceFor = (zone: string) => {
    const key = zone.toUpperCase();
    const spec = options.traces.find((t) => t.zone.toUpperCase() === key);
    if (!spec) {
      throw new GreenprintError(
        'unknown_region',
        `No trace file for zone ${zone}; configured zones: ${options.traces.map((t) => t.zone).join(', ') || 'none'}.`,
      );
    }
    let loaded = traces.get(key);
    if (!loaded) {
      loaded = read(spec.path).then((text) => {
        const trace = parseTrace(text, basename(spec.path), key, spec.column ? { column: spec.column } : {});
        const watt = trace.source.startsWith('WattTime');
        const factor = watt ? LBS_PER_MWH_TO_G_PER_KWH : 1;
        return {
          source: watt ? `${trace.source} (lbs CO2/MWh × 0.45359 → g/kWh)` : trace.source,
          points: trace.points.map((p) => ({ startMs: p.startMs, value: p.gPerKwh * factor })),
        };
      });
      traces.set(key, loaded);
    }
    return loaded;
  };

  return {
    name: 'trace-files',
    async history(zone, fromMs, toMs): Promise<SignalSeries> {
      const { source, points } = await traceFor(zone);
      return pointsToSeries('trace-files', within(points, fromMs - 86_400_000, toMs), {
        zone: zone.toUpperCase(),
        source,
        fromMs,
        toMs,
        stepMs,
      });
    },
    async forecast(zone, fromMs, toMs): Promise<SignalSeries | undefined> {
      const key = zone.toUpperCase();
      const spec = options.forecasts?.find((f) => f.zone.toUpperCase() === key);
      if (!spec) return undefined;
      let loaded = issued.get(key);
      if (!loaded) {
        loaded = read(spec.path).then((text) => parseIssuedForecasts(text, basename(spec.path)));
        issued.set(key, loaded);
      }
      const made = latestIssued(await loaded, fromMs);
      const last = made?.points[made.points.length - 1];
      if (!made || !last) return undefined;
      const nativeStep =
        made.points.length > 1
          ? last.startMs - (made.points[made.points.length - 2] as Point).startMs
          : stepMs;
      const endMs = Math.min(toMs, last.startMs + nativeStep);
      if (endMs <= fromMs) return undefined;
      const warnings =
        endMs < toMs
          ? [
              signalWarning(
                'forecast-short',
                `The forecast issued ${new Date(made.requestMs).toISOString()} ends ${new Date(endMs).toISOString()}.`,
              ),
            ]
          : [];
      return pointsToSeries(
        'trace-files',
        made.points,
        {
          zone: key,
          source: `WattTime MOER forecast issued ${new Date(made.requestMs).toISOString()} (lbs CO2/MWh × 0.45359 → g/kWh): ${basename(spec.path)}`,
          fromMs,
          toMs: endMs,
          stepMs,
        },
        warnings,
      );
    },
  };
}

/** The points with `fromMs ≤ startMs < toMs` (sorted input, binary search). */
function within(points: Point[], fromMs: number, toMs: number): Point[] {
  const first = lowerBound(points, fromMs);
  const end = lowerBound(points, toMs);
  return points.slice(first, end);
}

function lowerBound(points: Point[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as Point).startMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
