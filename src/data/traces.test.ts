import { describe, expect, it } from 'vitest';
import { HAS_SHARED_DATA, SHARED_DATA } from '../../bench/lib/shared.js';
import { GreenprintError, hourlyIntensity } from '../core/index.js';
import { parseTrace, readTrace } from './traces.js';

const GRID = new URL('grid/', SHARED_DATA);

describe('carbon-intensity traces', () => {
  it.skipIf(!HAS_SHARED_DATA)('reads an Electricity Maps hourly export (lifecycle column, zone id)', () => {
    const t = readTrace(new URL('electricitymaps-hourly/GB_2023_hourly.csv', GRID).pathname);
    expect(t.zone).toBe('GB');
    expect(t.points.length).toBeGreaterThanOrEqual(8760);
    expect(t.source).toMatch(/Electricity Maps/);
  });

  it.skipIf(!HAS_SHARED_DATA)("reads Let's Wait Awhile (15-min DE) and finds the right slot", () => {
    const t = readTrace(new URL('lets-wait-awhile-2020/ger_ci.csv', GRID).pathname, 'DE');
    expect(t.zone).toBe('DE');
    // First row: 2019-12-20 00:00:00, 218.29 gCO2e/kWh; second: 00:15.
    const hit = hourlyIntensity(t, Date.parse('2019-12-20T00:10:00Z'));
    expect(hit?.gPerKwh).toBeCloseTo(218.29, 2);
  });

  it.skipIf(!HAS_SHARED_DATA)('reads WattTime actuals', () => {
    const t = readTrace(
      new URL('watttime-caiso-north-2023-06/watttime2023_caiso-north_actual.csv', GRID).pathname,
      'US-CAL-CISO',
    );
    expect(t.points[0]?.gPerKwh).toBeCloseTo(425.016, 2);
    expect(t.source).toMatch(/WattTime/);
  });

  it('reads another column by its header (the direct, operational intensity)', () => {
    const text =
      'Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)\n' +
      '2023-01-01 00:00:00,DE,140.51,185.8\n2023-01-01 01:00:00,DE,140.44,185.7\n';
    expect(parseTrace(text, 'de.csv').points[0]?.gPerKwh).toBe(185.8);
    const direct = parseTrace(text, 'de.csv', undefined, { column: 'Carbon Intensity gCO₂eq/kWh (direct)' });
    expect(direct.points.map((p) => p.gPerKwh)).toEqual([140.51, 140.44]);
    expect(direct.source).toMatch(/direct/);
    expect(direct.zone).toBe('DE');
    expect(() => parseTrace(text, 'de.csv', undefined, { column: 'nope' })).toThrow(/no column "nope"/);
  });

  it('reports a malformed row with its line number', () => {
    const text = 'Time,Carbon Intensity\n2020-01-01 00:00:00,100\n2020-01-01 00:30:00,oops\n';
    expect(() => parseTrace(text, 'x.csv')).toThrow(/x.csv line 3/);
    expect(() => parseTrace('a,b,c\n1,2,3', 'y.csv')).toThrow(GreenprintError);
  });
});
