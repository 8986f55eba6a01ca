import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { clientGone } from './answer.js';
import { CLIENT_LINK, type ClientLink } from './clientLink.js';
import type { GatewayConfig } from './config.js';
import type { Endpoint } from './endpoints.js';
import { GatewayError } from './gatewayError.js';
import { isRecord } from './meters.js';
import { multipartBoundary, multipartField, replaceBytes } from './multipartField.js';
import type { GatewayCall, GatewayIdentity } from './policy.js';
import { resolveRoute } from './resolveRoute.js';

/** What `buildCall` needs besides the body: who called, how, and since when. */
export interface CallContext {
  config: GatewayConfig;
  endpoint: Endpoint;
  identity: GatewayIdentity;
  link: ClientLink;
  /** The client's query string, with its `?`, or ''. */
  search: string;
  /** Epoch ms when the request arrived. */
  startedAt: number;
  /**
   * An upstream an in-process caller pinned (the Batch API's plan): used when it serves the routed
   * model over the endpoint's protocol, else the usual route applies.
   */
  pinnedUpstream?: string | undefined;
}

/** Longest accepted `x-greenprint-pipeline|stage|run` value; longer ones are cut. */
const MAX_ATTRIBUTION_LENGTH = 200;

/**
 * Checks the client's request body (JSON or multipart, model), routes it, and prepares the bytes to
 * send upstream: the client's own, unless the alias or the stream usage option changes them. The
 * call's `headers` and `signal` are made from the client link only when a policy reads them.
 */
export function buildCall(bytes: Uint8Array, context: CallContext): GatewayCall {
  const { config, endpoint, link } = context;
  const clientHeaders = link.headers;
  const clientType = clientHeaders['content-type'] ?? '';
  const parsed = endpoint.body === 'json' ? parseJsonBody(bytes) : parseMultipartBody(bytes, clientType);
  const route = resolveRoute(config, parsed.model, endpoint.protocol);
  const pinned = context.pinnedUpstream;
  if (pinned && pinned !== route.upstream.name) {
    const upstream = config.upstreams.find(
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
    let changed = false;
    if (route.model !== parsed.model) {
      changes.model = route.model;
      changed = true;
    }
    const options = json.stream_options;
    if (stream && endpoint.streamUsageOption && !(isRecord(options) && options.include_usage === true)) {
      changes.stream_options = { ...(isRecord(options) ? options : {}), include_usage: true };
      hideUsageChunk = true;
      changed = true;
    }
    if (changed) {
      json = { ...json, ...changes };
      body = Buffer.from(JSON.stringify(json));
    }
  } else if (parsed.field && route.model !== parsed.model) {
    body = replaceBytes(bytes, parsed.field.start, parsed.field.end, route.model);
  }

  let headers: Headers | undefined;
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
    search: context.search,
    stream,
    hideUsageChunk,
    identity: context.identity,
    attribution: attributionOf(clientHeaders),
    get headers() {
      headers ??= webHeaders(clientHeaders);
      return headers;
    },
    get signal() {
      return link.signal;
    },
    startedAt: context.startedAt,
    [CLIENT_LINK]: link,
  } as GatewayCall;
}

/**
 * The request body, refused with 413 as soon as it is known to exceed `maxBytes` (declared or read);
 * rejects with `client_closed_request` when the client goes before sending all of it.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      return reject(tooLarge(maxBytes));
    }
    // The listeners stay: the request object ends with the call, and after `end` they do nothing.
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        // The rest of the body is read and thrown away, so that the connection can carry the answer.
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', (error) => reject(clientGone(error)));
    req.on('close', () => {
      if (!req.complete) reject(clientGone());
    });
  });
}

/** `readRequestBody` for a web Request (an in-process caller's). */
export async function readWebRequestBody(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return Buffer.alloc(0);
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
  return Buffer.concat(chunks, size);
}

/** `x-greenprint-pipeline|stage|run`, trimmed and cut to a readable length; absent when empty. */
function attributionOf(headers: IncomingHttpHeaders): GatewayCall['attribution'] {
  const attribution: { pipeline?: string; stage?: string; run?: string } = {};
  const pipeline = attributionValue(headers['x-greenprint-pipeline']);
  const stage = attributionValue(headers['x-greenprint-stage']);
  const run = attributionValue(headers['x-greenprint-run']);
  if (pipeline) attribution.pipeline = pipeline;
  if (stage) attribution.stage = stage;
  if (run) attribution.run = run;
  return attribution;
}

function attributionValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text?.trim().slice(0, MAX_ATTRIBUTION_LENGTH) || undefined;
}

function webHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
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
    const text = (
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    ).toString('utf8');
    // A byte-order mark is no part of the JSON (TextDecoder would have dropped it too).
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
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
