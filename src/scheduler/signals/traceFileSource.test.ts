import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../bench/lib/shared.js';
import { traceFileSource } from './index.js';

const files: Record<string, string> = {
  'de.csv':
    'Time,Carbon Intensity\n2020-01-01 00:00:00,100\n2020-01-01 00:15:00,200\n2020-01-01 00:30:00,300\n2020-01-01 00:45:00,400\n',
  'em.csv':
    'Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)\n' +
    '2023-01-01 00:00:00,GB,50,90\n2023-01-01 01:00:00,GB,60,100\n2023-01-01 03:00:00,GB,80,120\n',
  'wt.csv': `time,Caiso_North\n${[100, 200, 300, 400, 500, 600].map((v, i) => `2023-06-08 00:${String(i * 5).padStart(2, '0')}:00,${v}`).join('\n')}\n`,
  'wt-forecast.csv':
    'request_time,forecast_time,Caiso_North\n' +
    '2023-06-08 00:00:00,2023-06-08 00:05:00,1000\n2023-06-08 00:00:00,2023-06-08 00:10:00,1000\n' +
    '2023-06-08 00:10:00,2023-06-08 00:15:00,2000\n2023-06-08 00:10:00,2023-06-08 00:20:00,2000\n' +
    '2023-06-08 00:10:00,2023-06-08 00:25:00,2000\n2023-06-08 00:10:00,2023-06-08 00:30:00,4000\n',
};
const source = traceFileSource({
  traces: [
    { zone: 'DE', path: 'de.csv' },
    { zone: 'GB', path: 'em.csv', column: 'Carbon Intensity gCO₂eq/kWh (direct)' },
    { zone: 'CAISO_NORTH', path: 'wt.csv' },
  ],
  forecasts: [{ zone: 'CAISO_NORTH', path: 'wt-forecast.csv' }],
  readFile: async (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`no file ${path}`);
    return text;
  },
});
const at = (iso: string) => Date.parse(`${iso}Z`);

describe('traceFileSource', () => {
  it("averages finer points into half-hour slots (Let's Wait Awhile 15-min)", async () => {
    const s = await source.history('DE', at('2020-01-01T00:00'), at('2020-01-01T01:00'));
    expect(Array.from(s.values)).toEqual([150, 350]);
    expect(s.startMs).toBe(at('2020-01-01T00:00'));
    expect(s.warnings).toEqual([]);
  });

  it('holds an hourly value over both half hours and reads the chosen column; a missing hour is a warned gap', async () => {
    const s = await source.history('gb', at('2023-01-01T00:00'), at('2023-01-01T04:00'));
    // 02:00–03:00 is missing: held at 60 with a warning.
    expect(Array.from(s.values)).toEqual([50, 50, 60, 60, 60, 60, 80, 80]);
    expect(s.source).toMatch(/direct/);
    expect(s.warnings.map((w) => w.code)).toEqual(['gap-filled']);
    expect(s.warnings[0]?.message).toMatch(/2 of 8 slots/);
  });

  it('converts WattTime lbs CO2/MWh to g/kWh (× 0.45359) and averages its 5-min values', async () => {
    const s = await source.history('CAISO_NORTH', at('2023-06-08T00:00'), at('2023-06-08T00:30'));
    expect(s.values[0]).toBeCloseTo(350 * 0.45359, 9);
    expect(s.source).toMatch(/0\.45359/);
  });

  it('gives the forecast issued last at or before the start, cut where it ends', async () => {
    // At 00:12 the 00:10 issue is the latest: 00:15–00:25 at 2000, 00:30 at 4000 (lbs/MWh).
    const s = await source.forecast?.('CAISO_NORTH', at('2023-06-08T00:12'), at('2023-06-08T02:00'));
    expect(s?.startMs).toBe(at('2023-06-08T00:00'));
    expect(s?.values[0]).toBeCloseTo(2000 * 0.45359, 9);
    expect(s?.values[1]).toBeCloseTo(4000 * 0.45359, 9);
    expect(s?.values.length).toBe(2);
    expect(s?.warnings.map((w) => w.code)).toEqual(['forecast-short']);
    // At 00:05 only the 00:00 issue exists.
    const early = await source.forecast?.('CAISO_NORTH', at('2023-06-08T00:05'), at('2023-06-08T00:15'));
    expect(early?.values[0]).toBeCloseTo(1000 * 0.45359, 9);
    // Before any issue, and for zones without forecast files: none.
    expect(
      await source.forecast?.('CAISO_NORTH', at('2023-06-07T23:00'), at('2023-06-08T00:00')),
    ).toBeUndefined();
    expect(await source.forecast?.('DE', at('2020-01-01T00:00'), at('2020-01-01T01:00'))).toBeUndefined();
  });

  it('names the configured zones when asked for another', async () => {
    await expect(source.history('FR', 0, 1)).rejects.toThrow(
      /No trace file for zone FR; configured zones: DE, GB, CAISO_NORTH/,
    );
  });

  it.skipIf(!HAS_SHARED_DATA)(
    'reads the shipped WattTime month: actuals and the forecasts as issued',
    async () => {
      const dir = new URL('grid/watttime-caiso-north-2023-06/', SHARED_DATA);
      const real = traceFileSource({
        traces: [
          { zone: 'CAISO_NORTH', path: fileURLToPath(new URL('watttime2023_caiso-north_actual.csv', dir)) },
        ],
        forecasts: [
          { zone: 'CAISO_NORTH', path: fileURLToPath(new URL('watttime2023_caiso-north_forecast.csv', dir)) },
        ],
      });
      const history = await real.history('CAISO_NORTH', at('2023-06-08T00:00'), at('2023-06-09T00:00'));
      expect(history.values.length).toBe(48);
      // First row 425.01605069 lbs/MWh; the first half hour averages six such 5-min values.
      expect(history.values[0]).toBeGreaterThan(0.9 * 425 * 0.45359);
      expect(history.values[0]).toBeLessThan(1.1 * 425 * 0.45359);
      expect(history.warnings).toEqual([]);
      const forecast = await real.forecast?.('CAISO_NORTH', at('2023-06-08T12:00'), at('2023-06-08T13:00'));
      expect(forecast?.values.length).toBeGreaterThanOrEqual(2);
      expect(forecast?.source).toMatch(/issued 2023-06-08T12:00/);
    },
  );
});
