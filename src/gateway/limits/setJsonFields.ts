/**
 * `body`, a JSON object, with each top-level key of `fields` set to its number: existing values are
 * replaced where they stand (every duplicate), missing keys are added first in the object. Every other
 * byte stays the client's own, so numbers beyond double precision (a `seed`), spacing and key order
 * survive. Undefined when the body is not a JSON object this scanner can read.
 */
export function setJsonFields(
  body: Uint8Array,
  fields: Readonly<Record<string, number>>,
): Uint8Array | undefined {
  const found = topLevelValues(body, new Set(Object.keys(fields)));
  if (!found) return undefined;
  const encode = (s: string) => new TextEncoder().encode(s);
  const missing = Object.entries(fields).filter(([key]) => !found.spans.some((s) => s.key === key));
  const parts: Uint8Array[] = [];
  let from = 0;
  if (missing.length > 0) {
    const added = missing.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',');
    parts.push(body.subarray(0, found.open + 1), encode(found.empty ? added : `${added},`));
    from = found.open + 1;
  }
  for (const { key, start, end } of found.spans) {
    parts.push(body.subarray(from, start), encode(JSON.stringify(fields[key])));
    from = end;
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface TopLevel {
  /** Index of the opening `{`. */
  open: number;
  empty: boolean;
  /** Byte ranges [start, end) of the values of the wanted keys, in order. */
  spans: { key: string; start: number; end: number }[];
}

/**
 * JSON's structural characters are ASCII and UTF-8 never uses ASCII bytes inside a multi-byte
 * character, so the bytes can be scanned without decoding them.
 */
function topLevelValues(body: Uint8Array, wanted: ReadonlySet<string>): TopLevel | undefined {
  const decoder = new TextDecoder();
  const open = skipSpace(body, body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
  if (body[open] !== OPEN_OBJECT) return undefined;
  let pos = skipSpace(body, open + 1);
  const empty = body[pos] === CLOSE_OBJECT;
  const spans: TopLevel['spans'] = [];
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
  while (i < body.length && body[i] !== COMMA && body[i] !== CLOSE_OBJECT && skipSpace(body, i) === i) i++;
  return i;
}
