/**
 * Byte-level edits of a JSON object's top-level values. JSON's structural characters are ASCII and
 * UTF-8 never uses ASCII bytes inside a multi-byte character, so the bytes can be scanned without
 * decoding them, and every byte not edited stays the client's own (numbers beyond double precision,
 * spacing, key order).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export interface TopLevelValues {
  /** Index of the opening `{`. */
  open: number;
  empty: boolean;
  /** Byte ranges [start, end) of the values of the wanted keys, in order (every duplicate). */
  spans: { key: string; start: number; end: number }[];
}

/** Where the wanted top-level keys' values lie; undefined when the body is not a readable JSON object. */
export function topLevelValues(body: Uint8Array, wanted: ReadonlySet<string>): TopLevelValues | undefined {
  const decoder = new TextDecoder();
  const open = skipSpace(body, body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
  if (body[open] !== OPEN_OBJECT) return undefined;
  let pos = skipSpace(body, open + 1);
  const empty = body[pos] === CLOSE_OBJECT;
  const spans: TopLevelValues['spans'] = [];
  while (body[pos] !== CLOSE_OBJECT) {
    if (body[pos] !== QUOTE) return undefined;
    const keyEnd = endOfString(body, pos);
    let key: unknown;
    try {
      key = JSON.parse(decoder.decode(body.subarray(pos, keyEnd)));
    } catch {
      return undefined;
    }
    pos = skipSpace(body, keyEnd);
    if (body[pos] !== COLON) return undefined;
    const start = skipSpace(body, pos + 1);
    const end = endOfValue(body, start);
    if (end === start || end > body.length) return undefined;
    if (typeof key === 'string' && wanted.has(key)) spans.push({ key, start, end });
    pos = skipSpace(body, end);
    if (body[pos] === COMMA) pos = skipSpace(body, pos + 1);
    else if (body[pos] !== CLOSE_OBJECT) return undefined;
  }
  return { open, empty, spans };
}

/** True when the value at `start` is a JSON string. */
export function isStringAt(body: Uint8Array, start: number): boolean {
  return body[start] === QUOTE;
}

/**
 * `body` with each span replaced by the JSON of its key's value in `values`, and `prefix` (already
 * JSON, e.g. `"a":1,`) inserted just after the opening `{` when given.
 */
export function spliceValues(
  body: Uint8Array,
  found: TopLevelValues,
  values: Readonly<Record<string, unknown>>,
  prefix = '',
): Uint8Array {
  const encode = (s: string) => new TextEncoder().encode(s);
  const parts: Uint8Array[] = [];
  let from = 0;
  if (prefix) {
    parts.push(body.subarray(0, found.open + 1), encode(prefix));
    from = found.open + 1;
  }
  for (const { key, start, end } of found.spans) {
    parts.push(body.subarray(from, start), encode(JSON.stringify(values[key])));
    from = end;
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

function skipSpace(body: Uint8Array, pos: number): number {
  let i = pos;
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return i;
}

/** `pos` at an opening quote; the index just after the closing one (past the end when there is none). */
function endOfString(body: Uint8Array, pos: number): number {
  let i = pos + 1;
  while (i < body.length && body[i] !== QUOTE) i += body[i] === BACKSLASH ? 2 : 1;
  return i + 1;
}

/** The index just after the value starting at `pos` (string, object, array, number or literal). */
function endOfValue(body: Uint8Array, pos: number): number {
  const first = body[pos];
  if (first === QUOTE) return endOfString(body, pos);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    let i = pos;
    while (i < body.length) {
      const c = body[i];
      if (c === QUOTE) {
        i = endOfString(body, i);
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
      i++;
      if (depth === 0) return i;
    }
    return body.length + 1;
  }
  let i = pos;
  while (
    i < body.length &&
    body[i] !== COMMA &&
    body[i] !== CLOSE_OBJECT &&
    body[i] !== CLOSE_ARRAY &&
    skipSpace(body, i) === i
  ) {
    i++;
  }
  return i;
}
