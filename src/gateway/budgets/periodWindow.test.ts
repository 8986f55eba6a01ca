import { describe, expect, it } from 'vitest';
import { periodWindow } from './index.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('periodWindow', () => {
  it('cuts hours and days in UTC', () => {
    const hour = periodWindow('hour', at('2025-01-31T23:59:59.999Z'));
    expect(hour).toEqual({
      period: 'hour',
      key: '2025-01-31T23',
      startsAt: at('2025-01-31T23:00:00Z'),
      resetsAt: at('2025-02-01T00:00:00Z'),
    });
    const day = periodWindow('day', at('2024-02-28T12:00:00Z'));
    expect([day.key, iso(day.startsAt), iso(day.resetsAt)]).toEqual([
      '2024-02-28',
      '2024-02-28T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
    ]);
  });

  it('starts a new window exactly at the reset', () => {
    const before = periodWindow('day', at('2025-03-09T23:59:59.999Z'));
    const after = periodWindow('day', at('2025-03-10T00:00:00.000Z'));
    expect(after.key).not.toBe(before.key);
    expect(after.startsAt).toBe(before.resetsAt);
  });

  it('numbers ISO weeks from Monday, in the ISO week-year', () => {
    const cases: [string, string, string][] = [
      // [instant, key, Monday it starts]
      ['2025-01-01T10:00:00Z', '2025-W01', '2024-12-30'],
      ['2024-12-30T00:00:00Z', '2025-W01', '2024-12-30'],
      ['2021-01-03T23:59:59Z', '2020-W53', '2020-12-28'],
      ['2021-01-04T00:00:00Z', '2021-W01', '2021-01-04'],
      ['2026-06-14T08:00:00Z', '2026-W24', '2026-06-08'],
      ['2027-01-01T00:00:00Z', '2026-W53', '2026-12-28'],
    ];
    for (const [instant, key, monday] of cases) {
      const week = periodWindow('week', at(instant));
      expect([instant, week.key, iso(week.startsAt)]).toEqual([instant, key, `${monday}T00:00:00.000Z`]);
      expect(week.resetsAt - week.startsAt).toBe(7 * 24 * 3_600_000);
    }
  });

  it('cuts calendar months, December into January', () => {
    const feb = periodWindow('month', at('2024-02-29T23:00:00Z'));
    expect([feb.key, iso(feb.resetsAt)]).toEqual(['2024-02', '2024-03-01T00:00:00.000Z']);
    const dec = periodWindow('month', at('2025-12-31T23:59:59Z'));
    expect([dec.key, iso(dec.startsAt), iso(dec.resetsAt)]).toEqual([
      '2025-12',
      '2025-12-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
  });
});
