import { HALF_HOUR_MS } from '../series.js';
import { arrayField, type Fetch, getJson, parseTime } from './http.js';
import { chunks, type Point, pointsToSeries } from './slots.js';
import {
  type CarbonIntensitySource,
  type SignalSeries,
  SignalSourceError,
  type SignalWarning,
  signalWarning,
} from './source.js';

const PROVIDER = 'UK Carbon Intensity API';
/** The API answers at most 14 days per /intensity/{from}/{to} request. */
const MAX_RANGE_MS = 14 * 86_400_000;

export interface UkCarbonIntensityOptions {
  /** Default https://api.carbonintensity.org.uk (no key needed). */
  baseUrl?: string;
  fetch?: Fetch;
}

/**
 * National Grid ESO's Carbon Intensity API for Great Britain (zone `GB`): half-hourly national
 * intensity, measured (`actual`) and forecast (`forecast`, 48 h ahead). History uses the actual value
 * and, for half hours not measured yet, the forecast, with an `actual-missing` warning.
 */
export function ukCarbonIntensitySource(options: UkCarbonIntensityOptions = {}): CarbonIntensitySource {
  const base = options.baseUrl ?? 'https://api.carbonintensity.org.uk';
  const fetchFn = options.fetch ?? globalThis.fetch;

  const periods = async (path: string) => {
    const body = await getJson(PROVIDER, fetchFn, new URL(path, base), {});
    return arrayField(PROVIDER, body, 'data').map((item) => {
      const row = item as { from?: unknown; intensity?: { forecast?: unknown; actual?: unknown } };
      return {
        startMs: parseTime(PROVIDER, row.from),
        forecast: typeof row.intensity?.forecast === 'number' ? row.intensity.forecast : null,
        actual: typeof row.intensity?.actual === 'number' ? row.intensity.actual : null,
      };
    });
  };

  return {
    name: 'uk-carbon-intensity',
    async history(zone, fromMs, toMs): Promise<SignalSeries> {
      checkZone(zone);
      const points: Point[] = [];
      let missing = 0;
      for (const [from, to] of chunks(fromMs, toMs, MAX_RANGE_MS)) {
        for (const p of await periods(`/intensity/${apiTime(from)}/${apiTime(to)}`)) {
          // The API also returns the half hour ending at `from`; keep only the asked range.
          if (p.startMs < Math.floor(from / HALF_HOUR_MS) * HALF_HOUR_MS || p.startMs >= to) continue;
          const value = p.actual ?? p.forecast;
          if (value === null) continue;
          if (p.actual === null) missing++;
          points.push({ startMs: p.startMs, value });
        }
      }
      const warnings: SignalWarning[] =
        missing > 0 ? [signalWarning('actual-missing', `${missing} half hours for GB.`)] : [];
      return pointsToSeries(
        PROVIDER,
        dedupe(points),
        {
          zone: 'GB',
          source: `${PROVIDER} (national, actual)`,
          fromMs,
          toMs,
          stepMs: HALF_HOUR_MS,
          pointStepMs: HALF_HOUR_MS,
        },
        warnings,
      );
    },
    async forecast(zone, fromMs, toMs): Promise<SignalSeries | undefined> {
      checkZone(zone);
      const points = (await periods(`/intensity/${apiTime(fromMs)}/fw48h`))
        .filter(
          (p) =>
            p.forecast !== null &&
            p.startMs >= Math.floor(fromMs / HALF_HOUR_MS) * HALF_HOUR_MS &&
            p.startMs < toMs,
        )
        .map((p) => ({ startMs: p.startMs, value: p.forecast as number }));
      const last = points[points.length - 1];
      if (!last) return undefined;
      const endMs = Math.min(toMs, last.startMs + HALF_HOUR_MS);
      const warnings =
        endMs < toMs ? [signalWarning('forecast-short', `It ends ${new Date(endMs).toISOString()}.`)] : [];
      return pointsToSeries(
        PROVIDER,
        points,
        {
          zone: 'GB',
          source: `${PROVIDER} (national, 48 h forecast)`,
          fromMs,
          toMs: endMs,
          stepMs: HALF_HOUR_MS,
          pointStepMs: HALF_HOUR_MS,
        },
        warnings,
      );
    },
  };
}

function checkZone(zone: string): void {
  if (zone.toUpperCase() !== 'GB') {
    throw new SignalSourceError(PROVIDER, `${PROVIDER} covers Great Britain only (zone GB), not ${zone}.`, {
      code: 'unknown_region',
    });
  }
}

/** The API's ISO 8601 form, minutes precision: 2024-01-01T00:30Z. */
function apiTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

function dedupe(points: Point[]): Point[] {
  points.sort((a, b) => a.startMs - b.startMs);
  return points.filter((p, i) => i === 0 || p.startMs !== (points[i - 1] as Point).startMs);
}
