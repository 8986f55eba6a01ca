import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  electricityMapsSource,
  SignalSourceError,
  ukCarbonIntensitySource,
  wattTimeSource,
} from './index.js';

// Each provider adapter against a real HTTP server on 127.0.0.1 answering in the provider's
// documented response shapes; `routes` is set per test, `requests` records what was asked.
type Handler = (url: URL, req: IncomingMessage, res: ServerResponse) => void;
let routes: Record<string, Handler> = {};
const requests: { url: URL; headers: IncomingMessage['headers'] }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ url, headers: req.headers });
    const handler =
      routes[url.pathname] ?? Object.entries(routes).find(([p]) => url.pathname.startsWith(p))?.[1];
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    handler(url, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  routes = {};
  requests.length = 0;
});

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}): Handler =>
  (_url, _req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
const at = (iso: string) => Date.parse(iso);

describe('ukCarbonIntensitySource (api.carbonintensity.org.uk shapes)', () => {
  const period = (from: string, to: string, forecast: number, actual: number | null) => ({
    from,
    to,
    intensity: { forecast, actual, index: 'moderate' },
  });

  it('reads /intensity/{from}/{to}: actual values, the period before `from` dropped, unmeasured half hours from the forecast (warned)', async () => {
    routes['/intensity/2024-01-01T00:00Z/2024-01-01T02:00Z'] = json({
      data: [
        period('2023-12-31T23:30Z', '2024-01-01T00:00Z', 99, 98),
        period('2024-01-01T00:00Z', '2024-01-01T00:30Z', 120, 110),
        period('2024-01-01T00:30Z', '2024-01-01T01:00Z', 125, 115),
        period('2024-01-01T01:00Z', '2024-01-01T01:30Z', 130, 121),
        period('2024-01-01T01:30Z', '2024-01-01T02:00Z', 140, null),
      ],
    });
    const s = await ukCarbonIntensitySource({ baseUrl: base }).history(
      'GB',
      at('2024-01-01T00:00Z'),
      at('2024-01-01T02:00Z'),
    );
    expect(Array.from(s.values)).toEqual([110, 115, 121, 140]);
    expect(s.startMs).toBe(at('2024-01-01T00:00Z'));
    expect(s.warnings.map((w) => w.code)).toEqual(['actual-missing']);
    expect(s.warnings[0]?.message).toMatch(/1 half hours/);
  });

  it('splits ranges longer than 14 days into requests the API accepts', async () => {
    routes['/intensity/'] = (url, _req, res) => {
      const [, , from] = url.pathname.split('/');
      res.writeHead(200).end(JSON.stringify({ data: [period(from as string, from as string, 100, 100)] }));
    };
    await ukCarbonIntensitySource({ baseUrl: base }).history(
      'GB',
      at('2024-01-01T00:00Z'),
      at('2024-01-20T00:00Z'),
    );
    expect(requests.map((r) => r.url.pathname)).toEqual([
      '/intensity/2024-01-01T00:00Z/2024-01-15T00:00Z',
      '/intensity/2024-01-15T00:00Z/2024-01-20T00:00Z',
    ]);
  });

  it('reads the 48-hour forecast /intensity/{from}/fw48h and says where it stops', async () => {
    routes['/intensity/2024-01-01T10:00Z/fw48h'] = json({
      data: [
        period('2024-01-01T10:00Z', '2024-01-01T10:30Z', 200, null),
        period('2024-01-01T10:30Z', '2024-01-01T11:00Z', 180, null),
      ],
    });
    const s = await ukCarbonIntensitySource({ baseUrl: base }).forecast?.(
      'GB',
      at('2024-01-01T10:00Z'),
      at('2024-01-01T12:00Z'),
    );
    expect(Array.from(s?.values ?? [])).toEqual([200, 180]);
    expect(s?.warnings.map((w) => w.code)).toEqual(['forecast-short']);
  });

  it('covers GB only and reports HTTP failures with the provider and status', async () => {
    const uk = ukCarbonIntensitySource({ baseUrl: base });
    await expect(uk.history('DE', 0, 1)).rejects.toMatchObject({ code: 'unknown_region' });
    routes['/intensity/'] = json({ error: { code: '500', message: 'upstream' } }, 500);
    const error = await uk
      .history('GB', at('2024-01-01T00:00Z'), at('2024-01-01T01:00Z'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalSourceError);
    expect(error).toMatchObject({ provider: 'UK Carbon Intensity API', status: 500, retryable: true });
    expect((error as Error).message).toMatch(/UK Carbon Intensity API: HTTP 500/);
  });

  it('says when nothing answers', async () => {
    const closed = ukCarbonIntensitySource({ baseUrl: 'http://127.0.0.1:9' });
    await expect(
      closed.history('GB', at('2024-01-01T00:00Z'), at('2024-01-01T01:00Z')),
    ).rejects.toMatchObject({
      status: 0,
      retryable: true,
      message: expect.stringMatching(/no response/),
    });
  });
});

describe('electricityMapsSource (API v3 shapes)', () => {
  const now = () => at('2024-03-01T12:00:00Z');
  const item = (datetime: string, carbonIntensity: number, isEstimated = false) => ({
    zone: 'DE',
    carbonIntensity,
    datetime,
    updatedAt: '2024-03-01T11:50:00.000Z',
    createdAt: '2024-02-28T10:00:00.000Z',
    emissionFactorType: 'direct',
    isEstimated,
    estimationMethod: isEstimated ? 'TIME_SLICER_AVERAGE' : null,
  });

  it('names the option and the environment variable when the token is missing', () => {
    expect(() => electricityMapsSource({ env: {} })).toThrow(
      /`apiKey` option or set ELECTRICITYMAPS_API_KEY/,
    );
  });

  it('reads the last 24 h from /v3/carbon-intensity/history with the auth-token header; hourly values cover both half hours', async () => {
    routes['/v3/carbon-intensity/history'] = json({
      zone: 'DE',
      history: [item('2024-03-01T09:00:00.000Z', 300), item('2024-03-01T10:00:00.000Z', 280, true)],
    });
    const em = electricityMapsSource({ baseUrl: base, env: { ELECTRICITYMAPS_API_KEY: 'k-123' }, now });
    const s = await em.history('DE', at('2024-03-01T09:00:00Z'), at('2024-03-01T11:00:00Z'));
    expect(Array.from(s.values)).toEqual([300, 300, 280, 280]);
    expect(s.warnings.map((w) => w.code)).toEqual(['estimated']);
    expect(requests[0]?.headers['auth-token']).toBe('k-123');
    expect(requests[0]?.url.searchParams.get('zone')).toBe('DE');
    expect(requests[0]?.url.searchParams.get('emissionFactorType')).toBe('direct');
  });

  it('reads older history from /v3/carbon-intensity/past-range in 10-day requests', async () => {
    routes['/v3/carbon-intensity/past-range'] = (url, _req, res) => {
      const start = url.searchParams.get('start') as string;
      res.writeHead(200).end(JSON.stringify({ zone: 'DE', data: [item(start, 250)] }));
    };
    const em = electricityMapsSource({ baseUrl: base, apiKey: 'k', now });
    const s = await em.history('DE', at('2024-01-01T00:00:00Z'), at('2024-01-15T00:00:00Z'));
    expect(requests.map((r) => r.url.searchParams.get('start'))).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-11T00:00:00.000Z',
    ]);
    expect(requests[1]?.url.searchParams.get('end')).toBe('2024-01-15T00:00:00.000Z');
    expect(s.values.length).toBe(14 * 48);
    expect(s.warnings.map((w) => w.code)).toEqual(['gap-filled']);
  });

  it('reads /v3/carbon-intensity/forecast', async () => {
    routes['/v3/carbon-intensity/forecast'] = json({
      zone: 'DE',
      forecast: [
        { carbonIntensity: 310, datetime: '2024-03-01T12:00:00.000Z' },
        { carbonIntensity: 290, datetime: '2024-03-01T13:00:00.000Z' },
        { carbonIntensity: 270, datetime: '2024-03-01T14:00:00.000Z' },
      ],
      updatedAt: '2024-03-01T11:55:00.000Z',
    });
    const em = electricityMapsSource({ baseUrl: base, apiKey: 'k', now });
    const s = await em.forecast?.('DE', at('2024-03-01T12:30:00Z'), at('2024-03-01T14:00:00Z'));
    expect(Array.from(s?.values ?? [])).toEqual([310, 290, 290]);
    expect(s?.startMs).toBe(at('2024-03-01T12:30:00Z'));
    expect(s?.warnings).toEqual([]);
  });

  it('reports a refused token with the provider, the status and what to check', async () => {
    routes['/v3/carbon-intensity/history'] = json({ message: 'Invalid auth-token' }, 401);
    const em = electricityMapsSource({ baseUrl: base, apiKey: 'bad', now });
    await expect(em.history('DE', now() - 3_600_000, now())).rejects.toMatchObject({
      provider: 'Electricity Maps',
      status: 401,
      retryable: false,
      message: expect.stringMatching(
        /Electricity Maps: HTTP 401 .*Invalid auth-token.*Check the credentials/,
      ),
    });
  });
});

describe('wattTimeSource (API v3 shapes)', () => {
  let clock = at('2023-06-08T12:00:00Z');
  const now = () => clock;
  const env = { WATTTIME_USERNAME: 'ada', WATTTIME_PASSWORD: 's3cret' };
  let tokens = 0;
  beforeEach(() => {
    clock = at('2023-06-08T12:00:00Z');
    tokens = 0;
    routes['/login'] = (_url, req, res) => {
      const expected = `Basic ${Buffer.from('ada:s3cret').toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(403).end('{"error":"bad credentials"}');
        return;
      }
      tokens++;
      res.writeHead(200).end(JSON.stringify({ token: `tok-${tokens}` }));
    };
  });
  const authorised =
    (handler: Handler): Handler =>
    (url, req, res) => {
      if (req.headers.authorization !== `Bearer tok-${tokens}`) {
        res.writeHead(401).end('{"error":"token expired"}');
        return;
      }
      handler(url, req, res);
    };
  const meta = {
    region: 'CAISO_NORTH',
    signal_type: 'co2_moer',
    units: 'lbs_co2_per_mwh',
    data_point_period_seconds: 300,
  };
  const fiveMinutes = (startIso: string, values: number[]) =>
    values.map((value, i) => ({ point_time: new Date(at(startIso) + i * 300_000).toISOString(), value }));

  it('names both environment variables when the account is missing', () => {
    expect(() => wattTimeSource({ env: {} })).toThrow(
      /`username` and `password` options or set WATTTIME_USERNAME and WATTTIME_PASSWORD/,
    );
    expect(() => wattTimeSource({ env: { WATTTIME_USERNAME: 'ada' } })).toThrow(/set WATTTIME_PASSWORD\./);
  });

  it('logs in with basic auth once, reads /v3/historical and converts lbs/MWh to g/kWh', async () => {
    routes['/v3/historical'] = authorised(
      json({ data: fiveMinutes('2023-06-08T00:00:00Z', [100, 200, 300, 400, 500, 600]), meta }),
    );
    const wt = wattTimeSource({ baseUrl: base, env, now });
    const s = await wt.history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:30:00Z'));
    expect(s.values[0]).toBeCloseTo(350 * 0.45359, 9);
    await wt.history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:30:00Z'));
    expect(tokens).toBe(1);
    const asked = requests.find((r) => r.url.pathname === '/v3/historical')?.url;
    expect(asked?.searchParams.get('region')).toBe('CAISO_NORTH');
    expect(asked?.searchParams.get('signal_type')).toBe('co2_moer');
    expect(asked?.searchParams.get('start')).toBe('2023-06-08T00:00:00.000Z');
  });

  it('logs in again when the token has expired or is refused', async () => {
    routes['/v3/historical'] = authorised(json({ data: fiveMinutes('2023-06-08T00:00:00Z', [100]), meta }));
    const wt = wattTimeSource({ baseUrl: base, env, now });
    await wt.history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:05:00Z'));
    clock += 26 * 60_000; // past the token's life
    await wt.history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:05:00Z'));
    expect(tokens).toBe(2);
    tokens++; // the server forgets the token: the next call gets a 401 and logs in again
    await wt.history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:05:00Z'));
    expect(tokens).toBe(4);
  });

  it('reads the live forecast /v3/forecast', async () => {
    routes['/v3/forecast'] = authorised(
      json({
        data: fiveMinutes(
          '2023-06-08T12:00:00Z',
          Array.from({ length: 12 }, (_, i) => (i < 6 ? 1000 : 2000)),
        ),
        meta: { ...meta, generated_at: '2023-06-08T11:58:00+00:00' },
      }),
    );
    const s = await wattTimeSource({ baseUrl: base, env, now }).forecast?.(
      'CAISO_NORTH',
      clock,
      clock + 3_600_000,
    );
    expect(s?.values[0]).toBeCloseTo(1000 * 0.45359, 9);
    expect(s?.values[1]).toBeCloseTo(2000 * 0.45359, 9);
    expect(s?.source).toMatch(/issued 2023-06-08T11:58/);
    expect(
      requests.find((r) => r.url.pathname === '/v3/forecast')?.url.searchParams.get('horizon_hours'),
    ).toBe('1');
  });

  it('reads a past forecast as issued from /v3/forecast/historical (the latest issue before the start)', async () => {
    routes['/v3/forecast/historical'] = authorised(
      json({
        data: [
          {
            generated_at: '2023-06-08T09:55:00+00:00',
            forecast: fiveMinutes('2023-06-08T10:00:00Z', Array(6).fill(500)),
          },
          {
            generated_at: '2023-06-08T10:00:00+00:00',
            forecast: fiveMinutes('2023-06-08T10:00:00Z', Array(6).fill(700)),
          },
        ],
        meta,
      }),
    );
    const s = await wattTimeSource({ baseUrl: base, env, now }).forecast?.(
      'CAISO_NORTH',
      at('2023-06-08T10:00:00Z'),
      at('2023-06-08T10:30:00Z'),
    );
    expect(s?.values[0]).toBeCloseTo(700 * 0.45359, 9);
  });

  it('keeps Retry-After on a rate-limited answer', async () => {
    routes['/v3/historical'] = json({ error: 'rate limited' }, 429, { 'retry-after': '30' });
    const error = await wattTimeSource({ baseUrl: base, env, now })
      .history('CAISO_NORTH', at('2023-06-08T00:00:00Z'), at('2023-06-08T00:30:00Z'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      provider: 'WattTime',
      status: 429,
      retryable: true,
      headers: { 'retry-after': '30' },
    });
    expect((error as Error).message).toMatch(/retry after 30 s/);
  });
});
