import type { FieldKind } from './fieldPaths.js';

// Plain decimal notation only: Number() would also take '0x1F', '' and ' ', which no usage export means.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const SPACE_SEPARATED = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const FULL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const TIME_FORMATS = 'ISO-8601, YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS" (UTC) or unix seconds';
const UNIX_SECONDS = /^\d+(?:\.\d+)?$/;
// Unix seconds from 2001 to 5138: larger values are milliseconds, smaller ones compact dates like 20240501.
const MIN_UNIX_SECONDS = 1e9;
const MAX_UNIX_SECONDS = 1e11;

/** A cell converted for its field, or a reason naming what was wrong with it. */
export type Converted = { value: unknown } | { error: string };

/** Converts a trimmed, non-empty CSV cell: numbers strictly, times to ISO-8601 (UTC unless it has a zone). */
export function convertCell(kind: FieldKind, cell: string): Converted {
  if (kind === 'string') return { value: cell };
  if (kind === 'number') {
    return NUMBER.test(cell) ? { value: Number(cell) } : { error: `"${cell}" is not a number` };
  }
  const iso = toIsoTime(cell);
  return iso ? { value: iso } : { error: `"${cell}" is not a time: use ${TIME_FORMATS}` };
}

/** ISO-8601 for the time formats found in usage exports; undefined when the cell is none of them. */
function toIsoTime(cell: string): string | undefined {
  if (UNIX_SECONDS.test(cell)) {
    const seconds = Number(cell);
    return seconds >= MIN_UNIX_SECONDS && seconds < MAX_UNIX_SECONDS
      ? new Date(seconds * 1000).toISOString()
      : undefined;
  }
  let text = cell;
  if (DATE_ONLY.test(text)) text = `${text}T00:00:00Z`;
  const spaced = SPACE_SEPARATED.exec(text);
  if (spaced) text = `${spaced[1]}T${spaced[2]}`;
  // A wall-clock time without a zone is taken as UTC, the convention of provider usage exports.
  if (!HAS_ZONE.test(text)) text = `${text}Z`;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms) || !isRealDate(text.slice(0, 10)))
    return undefined;
  // Keep the writer's offset when zod accepts it as is; otherwise normalise to UTC.
  return FULL_ISO.test(cell) ? cell : new Date(ms).toISOString();
}

/** Date.parse rolls 2024-02-31 over to March; a real date prints back as itself. */
function isRealDate(date: string): boolean {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}
