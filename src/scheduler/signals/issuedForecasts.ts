import { GreenprintError } from '../../core/index.js';
import { utcMs } from '../../data/index.js';
import type { Point } from './slots.js';

/** Pounds CO2 per MWh (WattTime's MOER unit) to g/kWh: 453.59 g / 1000 kWh. */
export const LBS_PER_MWH_TO_G_PER_KWH = 0.45359;

/** One forecast as it was issued: made at `requestMs`, predicting `points`. */
export interface IssuedForecast {
  requestMs: number;
  points: Point[];
}

/**
 * Reads a WattTime issued-forecast CSV (`request_time,forecast_time,<region>`, as in Vessim's
 * CAISO North month): the forecasts in order of issue, values converted from lbs CO2/MWh to
 * g/kWh unless `valuesInGPerKwh`. Timestamps without a zone are read as UTC.
 */
export function parseIssuedForecasts(text: string, name: string, valuesInGPerKwh = false): IssuedForecast[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  if (header.length !== 3 || header[0] !== 'request_time' || header[1] !== 'forecast_time') {
    throw new GreenprintError(
      'invalid_trace',
      `${name}: expected the header "request_time,forecast_time,<region>", found "${lines[0]}".`,
    );
  }
  const factor = valuesInGPerKwh ? 1 : LBS_PER_MWH_TO_G_PER_KWH;
  const byRequest = new Map<number, Point[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.length === 0) continue;
    const [request, at, value] = line.split(',');
    const requestMs = utc(request);
    const startMs = utc(at);
    const v = Number(value);
    if (!Number.isFinite(requestMs) || !Number.isFinite(startMs) || value === '' || !Number.isFinite(v)) {
      throw new GreenprintError('invalid_trace', `${name} line ${i + 1}: cannot read "${line}".`, {
        line: i + 1,
      });
    }
    let points = byRequest.get(requestMs);
    if (!points) {
      points = [];
      byRequest.set(requestMs, points);
    }
    points.push({ startMs, value: v * factor });
  }
  return [...byRequest.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([requestMs, points]) => ({ requestMs, points: points.sort((a, b) => a.startMs - b.startMs) }));
}

/** The latest forecast issued at or before `timeMs` (binary search), or undefined. */
export function latestIssued(
  forecasts: readonly IssuedForecast[],
  timeMs: number,
): IssuedForecast | undefined {
  let lo = 0;
  let hi = forecasts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((forecasts[mid] as IssuedForecast).requestMs <= timeMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? undefined : forecasts[found];
}

function utc(text: string | undefined): number {
  if (!text) return Number.NaN;
  return utcMs(text);
}
