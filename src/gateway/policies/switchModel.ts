import type { UpstreamConfig } from '../config.js';
import { multipartBoundary, multipartField, replaceBytes } from '../multipartField.js';
import type { GatewayCall } from '../policy.js';

/**
 * Points `call` at another model and its upstream, in place, so that what is metered afterwards (model,
 * provider, region) is what answered. Only the model changes in the body: the other bytes stay the
 * client's own.
 */
export function switchModel(call: GatewayCall, model: string, upstream: UpstreamConfig): void {
  call.upstream = upstream;
  if (call.model === model) return;
  if (call.json) {
    call.json = { ...call.json, model };
    call.body = replaceJsonModel(call.body, model) ?? new TextEncoder().encode(JSON.stringify(call.json));
  } else {
    const boundary = multipartBoundary(call.contentType);
    const field = boundary ? multipartField(call.body, boundary, 'model') : undefined;
    if (field) call.body = replaceBytes(call.body, field.start, field.end, model);
  }
  call.model = model;
}

/**
 * The JSON body with the value of every top-level `"model"` key replaced by `model`, byte for byte
 * elsewhere; undefined when the body is not a JSON object with a string `model`.
 */
export function replaceJsonModel(body: Uint8Array, model: string): Uint8Array | undefined {
  const spans = spansOfModel(body);
  if (!spans) return undefined;
  const value = new TextEncoder().encode(JSON.stringify(model));
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const [start, end] of spans) {
    parts.push(body.subarray(from, start), value);
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

/**
 * Byte ranges [start, end) of the string values of top-level `model` keys. JSON's structural
 * characters are ASCII and UTF-8 never uses ASCII bytes inside a multi-byte character, so bytes can
 * be scanned without decoding.
 */
function spansOfModel(body: Uint8Array): [number, number][] | undefined {
  const decoder = new TextDecoder();
  let pos = skipSpace(body, startOf(body));
  if (body[pos] !== OPEN_OBJECT) return undefined;
  pos = skipSpace(body, pos + 1);
  const spans: [number, number][] = [];
  while (pos < body.length && body[pos] !== CLOSE_OBJECT) {
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
    const valueStart = skipSpace(body, pos + 1);
    const valueEnd = endOfValue(body, valueStart);
    if (key === 'model') {
      if (body[valueStart] !== QUOTE) return undefined;
      spans.push([valueStart, valueEnd]);
    }
    pos = skipSpace(body, valueEnd);
    if (body[pos] === COMMA) pos = skipSpace(body, pos + 1);
    else if (body[pos] !== CLOSE_OBJECT) return undefined;
  }
  return spans.length > 0 ? spans : undefined;
}

/** After a UTF-8 byte order mark, if there is one. */
function startOf(body: Uint8Array): number {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

function skipSpace(body: Uint8Array, pos: number): number {
  let i = pos;
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return i;
}

/** `pos` at an opening quote; answers the index just after the closing one. */
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
    return i;
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
