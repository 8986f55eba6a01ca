import type { UpstreamConfig } from '../config.js';
import { isStringAt, spliceValues, topLevelValues } from '../jsonBytes.js';
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
  const found = topLevelValues(body, MODEL_KEY);
  if (!found || found.spans.length === 0 || !found.spans.every((s) => isStringAt(body, s.start)))
    return undefined;
  return spliceValues(body, found, { model });
}

const MODEL_KEY: ReadonlySet<string> = new Set(['model']);
