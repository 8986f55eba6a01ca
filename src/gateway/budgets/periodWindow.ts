/** Budget periods; each is a calendar window in UTC. */
export const PERIODS = ['hour', 'day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];

/** The calendar window of a period that holds a given instant. */
export interface PeriodWindow {
  period: Period;
  /**
   * Names the window; it is part of every store key, so a new window starts from zero:
   * `2025-01-31T23` (hour), `2025-01-31` (day), `2025-W05` (ISO week), `2025-01` (month).
   */
  key: string;
  /** Epoch ms of the window's first instant. */
  startsAt: number;
  /** Epoch ms of the next window's first instant: when the budget resets. */
  resetsAt: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The UTC window of `period` that holds `now` (epoch ms): the clock hour, the calendar day, the ISO
 * week (Monday to Sunday, numbered in its ISO week-year, so 2021-01-03 is in `2020-W53`) or the
 * calendar month.
 */
export function periodWindow(period: Period, now: number): PeriodWindow {
  const at = new Date(now);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const day = at.getUTCDate();
  switch (period) {
    case 'hour': {
      const startsAt = Date.UTC(year, month, day, at.getUTCHours());
      return { period, key: isoDate(startsAt).slice(0, 13), startsAt, resetsAt: startsAt + HOUR_MS };
    }
    case 'day': {
      const startsAt = Date.UTC(year, month, day);
      return {
        period,
        key: isoDate(startsAt).slice(0, 10),
        startsAt,
        resetsAt: Date.UTC(year, month, day + 1),
      };
    }
    case 'week': {
      const sinceMonday = (at.getUTCDay() + 6) % 7;
      const startsAt = Date.UTC(year, month, day - sinceMonday);
      // An ISO week belongs to the year of its Thursday, and week 1 is the one holding 4 January.
      const thursday = startsAt + 3 * DAY_MS;
      const weekYear = new Date(thursday).getUTCFullYear();
      const week = Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1;
      return {
        period,
        key: `${weekYear}-W${String(week).padStart(2, '0')}`,
        startsAt,
        resetsAt: Date.UTC(year, month, day - sinceMonday + 7),
      };
    }
    case 'month': {
      const startsAt = Date.UTC(year, month, 1);
      return { period, key: isoDate(startsAt).slice(0, 7), startsAt, resetsAt: Date.UTC(year, month + 1, 1) };
    }
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
