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

const PROVIDER = 'Electricity Maps';
const DAY_MS = 86_400_000;
/** /v3/carbon-intensity/past-range answers at most 10 days of hourly data per request. */
const MAX_RANGE_MS = 10 * DAY_MS;

export interface ElectricityMapsOptions {
  /** API token; default the ELECTRICITYMAPS_API_KEY environment variable. */
  apiKey?: string;
  /** Default https://api.electricitymap.org. */
  baseUrl?: string;
  fetch?: Fetch;
  /** `direct` (operational, the scheduling signal; default) or `lifecycle`. */
  emissionFactorType?: 'direct' | 'lifecycle';
  /** Slot length of the returned series, ms (default 30 min; hourly values cover both halves). */
  stepMs?: number;
  /** Injected clock, epoch ms: decides between /history (last 24 h) and /past-range. */
  now?: () => number;
  /** Injected environment (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * Electricity Maps API v3 (token in the `auth-token` header). History of the last 24 hours comes
 * from /v3/carbon-intensity/history; anything older from /v3/carbon-intensity/past-range in
 * 10-day requests. The forecast is /v3/carbon-intensity/forecast. Estimated hours are counted in
 * an `estimated` warning.
 */
export function electricityMapsSource(options: ElectricityMapsOptions = {}): CarbonIntensitySource {
  const apiKey = options.apiKey ?? (options.env ?? process.env).ELECTRICITYMAPS_API_KEY;
  if (!apiKey) {
    throw new SignalSourceError(
      PROVIDER,
      'Electricity Maps needs an API token: pass the `apiKey` option or set ELECTRICITYMAPS_API_KEY (tokens from https://api-portal.electricitymaps.com).',
      { code: 'invalid_input' },
    );
  }
  const base = options.baseUrl ?? 'https://api.electricitymap.org';
  const fetchFn = options.fetch ?? globalThis.fetch;
  const factors = options.emissionFactorType ?? 'direct';
  const stepMs = options.stepMs ?? HALF_HOUR_MS;
  const now = options.now ?? Date.now;

  const get = (path: string, params: Record<string, string>) => {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return getJson(PROVIDER, fetchFn, url, { 'auth-token': apiKey });
  };
  const readPoints = (items: unknown[], estimated: { count: number }): Point[] =>
    items.flatMap((item) => {
      const row = item as { datetime?: unknown; carbonIntensity?: unknown; isEstimated?: unknown };
      if (typeof row.carbonIntensity !== 'number') return [];
      if (row.isEstimated === true) estimated.count++;
      return [{ startMs: parseTime(PROVIDER, row.datetime), value: row.carbonIntensity }];
    });
  const source = (kind: string) => `${PROVIDER} ${kind} (${factors}), ODbL 1.0`;

  return {
    name: 'electricity-maps',
    async history(zone, fromMs, toMs): Promise<SignalSeries> {
      const estimated = { count: 0 };
      let points: Point[] = [];
      if (fromMs >= now() - DAY_MS) {
        const body = await get('/v3/carbon-intensity/history', { zone, emissionFactorType: factors });
        points = readPoints(arrayField(PROVIDER, body, 'history'), estimated);
      } else {
        for (const [from, to] of chunks(fromMs, toMs, MAX_RANGE_MS)) {
          const body = await get('/v3/carbon-intensity/past-range', {
            zone,
            start: new Date(from).toISOString(),
            end: new Date(to).toISOString(),
            emissionFactorType: factors,
          });
          points.push(...readPoints(arrayField(PROVIDER, body, 'data'), estimated));
        }
      }
      points = points.filter((p) => p.startMs < toMs).sort((a, b) => a.startMs - b.startMs);
      const warnings: SignalWarning[] =
        estimated.count > 0 ? [signalWarning('estimated', `${estimated.count} hours for ${zone}.`)] : [];
      return pointsToSeries(
        PROVIDER,
        points,
        { zone, source: source('history'), fromMs, toMs, stepMs, pointStepMs: 3_600_000 },
        warnings,
      );
    },
    async forecast(zone, fromMs, toMs): Promise<SignalSeries | undefined> {
      const body = await get('/v3/carbon-intensity/forecast', { zone, emissionFactorType: factors });
      const points = readPoints(arrayField(PROVIDER, body, 'forecast'), { count: 0 })
        .filter((p) => p.startMs < toMs && p.startMs + 3_600_000 > fromMs)
        .sort((a, b) => a.startMs - b.startMs);
      const last = points[points.length - 1];
      if (!last) return undefined;
      const endMs = Math.min(toMs, last.startMs + 3_600_000);
      const warnings =
        endMs < toMs ? [signalWarning('forecast-short', `It ends ${new Date(endMs).toISOString()}.`)] : [];
      return pointsToSeries(
        PROVIDER,
        points,
        { zone, source: source('forecast'), fromMs, toMs: endMs, stepMs, pointStepMs: 3_600_000 },
        warnings,
      );
    },
  };
}
