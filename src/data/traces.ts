import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GreenprintError, type HourlyTrace } from '../core/index.js';

/**
 * Reads an hourly (or finer) carbon-intensity trace. Understood formats:
 * - Electricity Maps hourly export: `Datetime (UTC)`, `Zone Id`, `Carbon Intensity gCO₂eq/kWh (LCA)` (lifecycle, like the annual data);
 * - Let's Wait Awhile: `Time,Carbon Intensity` (zone from the file name or `zone`);
 * - WattTime actuals: `time,<region>` (MOER, marginal).
 * Timestamps without a zone are read as UTC. `options.column` picks another value column by its
 * exact header, e.g. `Carbon Intensity gCO₂eq/kWh (direct)` for Electricity Maps' operational signal.
 */
export function readTrace(path: string, zone?: string, options: TraceOptions = {}): HourlyTrace {
  const text = readFileSync(path, 'utf8');
  return parseTrace(text, basename(path), zone, options);
}

export interface TraceOptions {
  /** Header of the value column to read instead of the format's default. */
  column?: string;
}

export function parseTrace(
  text: string,
  name: string,
  zone?: string,
  options: TraceOptions = {},
): HourlyTrace {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = splitCsv(lines[0] ?? '');
  const timeAt = header.findIndex((h) => /^(datetime|time)/i.test(h));
  let valueAt = header.findIndex((h) => /carbon intensity.*\(lca\)/i.test(h));
  let source = `Electricity Maps hourly (lifecycle), ODbL 1.0: ${name}`;
  if (options.column !== undefined) {
    valueAt = header.indexOf(options.column);
    if (valueAt < 0) {
      throw new GreenprintError(
        'invalid_trace',
        `${name}: no column "${options.column}"; the header has ${header.map((h) => `"${h}"`).join(', ')}.`,
      );
    }
    source = /\(direct\)/i.test(options.column)
      ? `Electricity Maps hourly (direct), ODbL 1.0: ${name}`
      : `${name}, column "${options.column}"`;
  }
  if (valueAt < 0) {
    valueAt = header.findIndex((h) => /^carbon intensity$/i.test(h));
    source = `Let's Wait Awhile (Wiesner et al. 2021), ENTSO-E derived: ${name}`;
  }
  if (valueAt < 0 && header.length === 2 && timeAt === 0) {
    valueAt = 1;
    source = `WattTime MOER (marginal): ${name}`;
  }
  if (timeAt < 0 || valueAt < 0) {
    throw new GreenprintError(
      'invalid_trace',
      `${name}: unrecognised trace header "${lines[0]}". Expected an Electricity Maps hourly export, a Let's Wait Awhile CSV (Time,Carbon Intensity) or a WattTime CSV (time,<region>).`,
    );
  }
  const zoneAt = header.findIndex((h) => /^zone id$/i.test(h));
  const points: HourlyTrace['points'] = [];
  let traceZone = zone;
  for (let i = 1; i < lines.length; i++) {
    const cells = splitCsv(lines[i] as string);
    const t = cells[timeAt] ?? '';
    const ms = utcMs(t);
    const v = Number(cells[valueAt]);
    if (!Number.isFinite(ms) || cells[valueAt] === '' || !Number.isFinite(v)) {
      throw new GreenprintError(
        'invalid_trace',
        `${name} line ${i + 1}: cannot read time "${t}" and intensity "${cells[valueAt]}".`,
        { line: i + 1 },
      );
    }
    if (!traceZone && zoneAt >= 0) traceZone = cells[zoneAt];
    points.push({ startMs: ms, gPerKwh: v });
  }
  points.sort((a, b) => a.startMs - b.startMs);
  return { zone: (traceZone ?? name.split(/[_.]/)[0] ?? 'unknown').toUpperCase(), source, points };
}

function splitCsv(line: string): string[] {
  return line.split(',').map((c) => c.trim());
}

/** Epoch ms of an ISO-8601 time; one without a zone (`2024-01-01 00:00:00`, as traces write it) is UTC. NaN when unreadable. */
export function utcMs(text: string): number {
  const t = text.trim();
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(' ', 'T')}Z`);
}
