import type { Context } from 'hono';
import type { GatewayConfig } from './config.js';
import type { Endpoint } from './endpoints.js';
import { GatewayError } from './gatewayError.js';
import { isRecord } from './meters.js';
import { multipartBoundary, multipartField, replaceBytes } from './multipartField.js';
import { type GatewayCall, type GatewayEnv, internalCallOf } from './policy.js';
import { resolveRoute } from './resolveRoute.js';

export interface BuildCallOptions {
  config: GatewayConfig;
  now: () => number;
}

/** Longest accepted `x-greenprint-pipeline|stage|run` value; longer ones are cut. */
const MAX_ATTRIBUTION_LENGTH = 200;

/**
 * Reads and checks the client's request (size, JSON or multipart, model), routes it, and prepares the
 * bytes to send upstream: the client's own, unless the alias or the stream usage option changes them.
 */
export async function buildCall(
  c: Context<GatewayEnv>,
  endpoint: Endpoint,
  options: BuildCallOptions,
): Promise<GatewayCall> {
  const startedAt = options.now();
  const request = c.req.raw;
  const bytes = await readBody(request, options.config.server.maxBodyBytes);
  const clientType = request.headers.get('content-type') ?? '';
  const parsed = endpoint.body === 'json' ? parseJsonBody(bytes) : parseMultipartBody(bytes, clientType);
  const route = resolveRoute(options.config, parsed.model, endpoint.protocol);
  const pinned = internalCallOf(c.env)?.upstream;
  if (pinned && pinned !== route.upstream.name) {
    const upstream = options.config.upstreams.find(
      (u) =>
        u.name === pinned &&
        u.kind === route.upstream.kind &&
        (u.models.includes(route.model) || u.models.includes('*')),
    );
    if (upstream) route.upstream = upstream;
  }

  let body = bytes;
  let json = parsed.json;
  let hideUsageChunk = false;
  const stream = json?.stream === true;
  if (json) {
    const changes: Record<string, unknown> = {};
    if (route.model !== parsed.model) changes.model = route.model;
    const options = json.stream_options;
    if (stream && endpoint.streamUsageOption && !(isRecord(options) && options.include_usage === true)) {
      changes.stream_options = { ...(isRecord(options) ? options : {}), include_usage: true };
      hideUsageChunk = true;
    }
    if (Object.keys(changes).length > 0) {
      json = { ...json, ...changes };
      body = new TextEncoder().encode(JSON.stringify(json));
    }
  } else if (parsed.field && route.model !== parsed.model) {
    body = replaceBytes(bytes, parsed.field.start, parsed.field.end, route.model);
  }

  const attribution = (name: string) => {
    const value = c.req.header(`x-greenprint-${name}`)?.trim().slice(0, MAX_ATTRIBUTION_LENGTH);
    return value ? { [name]: value } : {};
  };
  return {
    path: endpoint.path,
    protocol: endpoint.protocol,
    operation: endpoint.operation,
    requestedModel: parsed.model,
    model: route.model,
    upstream: route.upstream,
    body,
    json,
    contentType: endpoint.body === 'json' ? 'application/json' : clientType,
    search: new URL(request.url).search,
    stream,
    hideUsageChunk,
    identity: c.get('greenprint'),
    attribution: { ...attribution('pipeline'), ...attribution('stage'), ...attribution('run') },
    headers: request.headers,
    signal: request.signal,
    startedAt,
  };
}

/** The body, refused with 413 as soon as it is known to exceed `maxBytes` (declared or read). */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(
    'body_too_large',
    `The request body is larger than ${maxBytes} bytes. Send a smaller request or raise server.maxBodyBytes in the gateway config.`,
  );
}

interface ParsedBody {
  model: string;
  json: Record<string, unknown> | undefined;
  /** Where the model lies in a multipart body. */
  field?: { start: number; end: number };
}

function parseJsonBody(bytes: Uint8Array): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    const detail = bytes.byteLength === 0 ? 'the body is empty' : (error as Error).message;
    throw new GatewayError(
      'invalid_json',
      `The request body is not valid JSON (${detail}). Send a JSON object with Content-Type: application/json.`,
      { cause: error },
    );
  }
  if (!isRecord(json)) {
    throw new GatewayError('invalid_json', 'The request body must be a JSON object, e.g. {"model": "…", …}.');
  }
  const model = json.model;
  if (typeof model !== 'string' || model.trim() === '') {
    throw new GatewayError(
      'missing_model',
      'The request has no "model". Add "model": "<model id>" to the body.',
      {
        param: 'model',
      },
    );
  }
  return { model, json };
}

function parseMultipartBody(bytes: Uint8Array, contentType: string): ParsedBody {
  const boundary = multipartBoundary(contentType);
  if (!boundary) {
    throw new GatewayError(
      'unsupported_media_type',
      `Content-Type ${contentType || '(none)'} is not supported here. Send the audio as multipart/form-data with a "file" and a "model" field.`,
    );
  }
  const field = multipartField(bytes, boundary, 'model');
  const model = field?.value.trim();
  if (!field || !model) {
    throw new GatewayError(
      'missing_model',
      'The form has no "model" field. Add model=<model id> to the form.',
      {
        param: 'model',
      },
    );
  }
  return { model, json: undefined, field };
}
