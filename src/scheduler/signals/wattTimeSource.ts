import { HALF_HOUR_MS } from '../series.js';
import { arrayField, type Fetch, getJson, parseTime } from './http.js';
import { LBS_PER_MWH_TO_G_PER_KWH } from './issuedForecasts.js';
import { chunks, type Point, pointsToSeries } from './slots.js';
import { type CarbonIntensitySource, type SignalSeries, SignalSourceError, signalWarning } from './source.js';

const PROVIDER = 'WattTime';
const DAY_MS = 86_400_000;
/** /v3/historical answers at most 32 days per request; stay under it. */
const MAX_RANGE_MS = 30 * DAY_MS;
/** Tokens last 30 minutes; renew a little early. */
const TOKEN_LIFETIME_MS = 25 * 60_000;
/** A forecast asked for more than this long ago comes from /v3/forecast/historical. */
const LIVE_FORECAST_SLACK_MS = 10 * 60_000;

export interface WattTimeOptions {
  /** Default the WATTTIME_USERNAME environment variable. */
  username?: string;
  /** Default the WATTTIME_PASSWORD environment variable. */
  password?: string;
  /** Default https://api.watttime.org. */
  baseUrl?: string;
  fetch?: Fetch;
  /** Default `co2_moer` (marginal operating emissions rate). */
  signalType?: string;
  /** Slot length of the returned series, ms (default 30 min; 5-min values are averaged). */
  stepMs?: number;
  /** Injected clock, epoch ms (token expiry; live or historical forecast). */
  now?: () => number;
  /** Injected environment (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * WattTime API v3: logs in with HTTP basic auth for a bearer token (renewed before its 30 minutes
 * run out, and once more on a 401), then reads /v3/historical and /v3/forecast (or
 * /v3/forecast/historical for a forecast as issued in the past). Zones are WattTime region codes
 * (e.g. CAISO_NORTH). Values in lbs CO2/MWh are converted to g/kWh (× 0.45359).
 */
export function wattTimeSource(options: WattTimeOptions = {}): CarbonIntensitySource {
  const env = options.env ?? process.env;
  const username = options.username ?? env.WATTTIME_USERNAME;
  const password = options.password ?? env.WATTTIME_PASSWORD;
  if (!username || !password) {
    throw new SignalSourceError(
      PROVIDER,
      `WattTime needs an account: pass the \`username\` and \`password\` options or set ${[!username && 'WATTTIME_USERNAME', !password && 'WATTTIME_PASSWORD'].filter(Boolean).join(' and ')}.`,
      { code: 'invalid_input' },
    );
  }
  const base = options.baseUrl ?? 'https://api.watttime.org';
  const fetchFn = options.fetch ?? globalThis.fetch;
  const signalType = options.signalType ?? 'co2_moer';
  const stepMs = options.stepMs ?? HALF_HOUR_MS;
  const now = options.now ?? Date.now;
  let token: { value: string; expiresMs: number } | undefined;

  const login = async (): Promise<string> => {
    const basic = Buffer.from(`${username}:${password}`).toString('base64');
    const body = await getJson(PROVIDER, fetchFn, new URL('/login', base), {
      authorization: `Basic ${basic}`,
    });
    const value = (body as { token?: unknown } | null)?.token;
    if (typeof value !== 'string')
      throw new SignalSourceError(PROVIDER, 'WattTime: /login answered without a token.');
    token = { value, expiresMs: now() + TOKEN_LIFETIME_MS };
    return value;
  };
  const get = async (path: string, params: Record<string, string>): Promise<unknown> => {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const bearer = token && token.expiresMs > now() ? token.value : await login();
    try {
      return await getJson(PROVIDER, fetchFn, url, { authorization: `Bearer ${bearer}` });
    } catch (error) {
      if (!(error instanceof SignalSourceError) || error.status !== 401) throw error;
      return getJson(PROVIDER, fetchFn, url, { authorization: `Bearer ${await login()}` });
    }
  };
  // The data's resolution, from meta.data_point_period_seconds (5 min when absent).
  let pointStepMs = 300_000;
  const readPoints = (body: unknown, items: unknown[]): Point[] => {
    const meta = (body as { meta?: { units?: unknown; data_point_period_seconds?: unknown } } | null)?.meta;
    const factor = unitFactor(meta?.units);
    if (typeof meta?.data_point_period_seconds === 'number')
      pointStepMs = meta.data_point_period_seconds * 1000;
    return items
      .flatMap((item) => {
        const row = item as { point_time?: unknown; value?: unknown };
        return typeof row.value === 'number'
          ? [{ startMs: parseTime(PROVIDER, row.point_time), value: row.value * factor }]
          : [];
      })
      .sort((a, b) => a.startMs - b.startMs);
  };
  const source = (kind: string, region: string) =>
    `WattTime ${signalType} ${kind}, ${region} (lbs CO2/MWh × 0.45359 → g/kWh)`;

  return {
    name: 'watttime',
    async history(zone, fromMs, toMs): Promise<SignalSeries> {
      const points: Point[] = [];
      for (const [from, to] of chunks(fromMs, toMs, MAX_RANGE_MS)) {
        const body = await get('/v3/historical', {
          region: zone,
          start: new Date(from).toISOString(),
          end: new Date(to).toISOString(),
          signal_type: signalType,
        });
        points.push(...readPoints(body, arrayField(PROVIDER, body, 'data')));
      }
      const inRange = points.filter((p) => p.startMs >= fromMs - stepMs && p.startMs < toMs);
      return pointsToSeries(PROVIDER, inRange, {
        zone,
        source: source('history', zone),
        fromMs,
        toMs,
        stepMs,
        pointStepMs,
      });
    },
    async forecast(zone, fromMs, toMs): Promise<SignalSeries | undefined> {
      let points: Point[];
      let issuedMs: number;
      if (fromMs < now() - LIVE_FORECAST_SLACK_MS) {
        // The forecasts issued in the hour before `fromMs`; the latest one at or before it is what was known.
        const body = await get('/v3/forecast/historical', {
          region: zone,
          start: new Date(fromMs - 3_600_000).toISOString(),
          end: new Date(fromMs).toISOString(),
          signal_type: signalType,
        });
        const issued = arrayField(PROVIDER, body, 'data')
          .map((item) => {
            const row = item as { generated_at?: unknown; forecast?: unknown };
            return {
              issuedMs: parseTime(PROVIDER, row.generated_at),
              forecast: Array.isArray(row.forecast) ? row.forecast : [],
            };
          })
          .filter((f) => f.issuedMs <= fromMs)
          .sort((a, b) => a.issuedMs - b.issuedMs);
        const latest = issued[issued.length - 1];
        if (!latest) return undefined;
        points = readPoints(body, latest.forecast);
        issuedMs = latest.issuedMs;
      } else {
        const body = await get('/v3/forecast', {
          region: zone,
          signal_type: signalType,
          horizon_hours: String(Math.min(72, Math.max(1, Math.ceil((toMs - fromMs) / 3_600_000)))),
        });
        points = readPoints(body, arrayField(PROVIDER, body, 'data'));
        const generated = (body as { meta?: { generated_at?: unknown } }).meta?.generated_at;
        issuedMs = typeof generated === 'string' ? parseTime(PROVIDER, generated) : now();
      }
      const inRange = points.filter((p) => p.startMs >= fromMs - stepMs && p.startMs < toMs);
      const last = inRange[inRange.length - 1];
      if (!last) return undefined;
      const endMs = Math.min(toMs, last.startMs + pointStepMs);
      const warnings =
        endMs < toMs ? [signalWarning('forecast-short', `It ends ${new Date(endMs).toISOString()}.`)] : [];
      return pointsToSeries(
        PROVIDER,
        inRange,
        {
          zone,
          source: source(`forecast issued ${new Date(issuedMs).toISOString()}`, zone),
          fromMs,
          toMs: endMs,
          stepMs,
          pointStepMs,
        },
        warnings,
      );
    },
  };
}

function unitFactor(units: unknown): number {
  if (units === undefined || units === 'lbs_co2_per_mwh') return LBS_PER_MWH_TO_G_PER_KWH;
  if (units === 'g_co2_per_kwh' || units === 'kg_co2_per_mwh') return 1;
  throw new SignalSourceError(
    PROVIDER,
    `WattTime: unknown units ${JSON.stringify(units)}; expected lbs_co2_per_mwh.`,
  );
}
