import { spliceValues, topLevelValues } from '../jsonBytes.js';

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
  const missing = Object.entries(fields).filter(([key]) => !found.spans.some((s) => s.key === key));
  const added = missing.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',');
  return spliceValues(body, found, fields, added && (found.empty ? added : `${added},`));
}
