import type { OutgoingHttpHeaders } from 'node:http';
import type { Estimator } from '../core/index.js';
import { type AnswerBody, type AnswerHeaders, readWhole, type UpstreamAnswer } from './answer.js';
import type { ClientLink } from './clientLink.js';
import { gatewayEventId } from './eventId.js';
import {
  estimateFootprint,
  type Footprint,
  footprintComment,
  footprintHeaders,
  HEADER,
  UNMETERED,
  usageEventOf,
} from './footprint.js';
import { errorBody, type GatewayError, type Protocol, toGatewayError } from './gatewayError.js';
import { meterSse, type StreamOutcome } from './meterSse.js';
import type { Meter, Units } from './meters.js';
import type { GatewayCall } from './policy.js';
import type { ClientResponse } from './webOutput.js';

export interface RespondOptions {
  estimator: Estimator;
  /** Hands a metered call's footprint on (sink, budgets); must not throw or block. */
  record: (footprint: Footprint, call: GatewayCall) => void;
  now: () => number;
}

/** Answer headers that describe the upstream connection or encoding, not the answer the client gets. */
export const DROPPED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'proxy-connection',
  // The gateway never asks for an encoding (see callUpstream) and sets the length of what it sends.
  'content-encoding',
  'content-length',
  'set-cookie',
]);

/** Statuses that carry no body, so no content-length either. */
const BODYLESS_STATUSES = new Set([204, 304]);

/**
 * Writes the answer to the client (node:http's response, or a WebOutput), metering it on the way:
 * - errors pass through with their status and body, plus `x-greenprint-upstream-status`;
 * - JSON answers are read whole (their footprint goes in the headers), then sent as they came;
 * - event streams pass event by event, with the footprint in a closing SSE comment;
 * - speech audio streams through unread: its units (characters) come from the request.
 * The footprint is recorded once the answer is complete: for JSON just after the response is
 * written, for streams at `[DONE]` (or the end, a failure, a client disconnect), for audio when the
 * body ends. Resolves once the response is finished or the client has gone; rejects (with nothing
 * written yet) when the answer breaks off before its headers could be sent.
 */
export async function respond(
  call: GatewayCall,
  answer: UpstreamAnswer,
  meter: Meter,
  res: ClientResponse,
  link: ClientLink,
  options: RespondOptions,
): Promise<void> {
  const { status, body } = answer;
  const headers = clientHeaders(answer.headers);
  const forget = body ? link.onGone(() => body.cancel()) : undefined;
  try {
    if (status < 200 || status >= 300) {
      // Upstream failures arrive marked with x-greenprint-upstream-status (callUpstream); policy refusals don't.
      sendWhole(res, status, headers, body ? await readWhole(body) : undefined);
      return;
    }
    const contentType = text(answer.headers['content-type']);
    const eventStream = /^\s*text\/event-stream/i.test(contentType);

    const known = body ? meter.fromRequest?.(call) : undefined;
    if (known) {
      const footprint = meterFootprint(call, known, call.startedAt, answer, options);
      Object.assign(headers, footprintHeaders(footprint));
      res.writeHead(status, headers);
      let recorded = false;
      const done = () => {
        if (recorded) return;
        recorded = true;
        const event = { ...footprint.event, durationMs: Math.max(0, options.now() - call.startedAt) };
        options.record({ ...footprint, event }, call);
      };
      // Binary bodies have no in-band error: the client sees the connection cut short.
      await forward(body, res, {
        chunk: same,
        end: () => (done(), ''),
        error: () => (done(), null),
        gone: done,
      });
      return;
    }

    const stream = meter.stream;
    if (eventStream && stream && body) {
      const seen = stream(call);
      const eventId = gatewayEventId(options.now());
      headers[HEADER.eventId] = eventId;
      res.writeHead(status, headers);
      const sse = meterSse({
        see: seen.see,
        end(outcome: StreamOutcome) {
          const units = seen.units();
          if (!units) return footprintComment({ eventId, warning: UNMETERED });
          const footprint = meterFootprint(call, units, options.now(), answer, options, eventId);
          options.record(footprint, call);
          return outcome === 'cancel' ? '' : footprintComment(footprint);
        },
        errorEvent: (error) => streamErrorEvent(call.protocol, toGatewayError(error)),
      });
      await forward(body, res, {
        chunk: (chunk) => sse.write(chunk),
        end: () => sse.end(),
        error: (error) => sse.fail(error),
        gone: () => sse.cancel(),
      });
      return;
    }

    if (eventStream || !meter.fromResponse || !body) {
      headers[HEADER.warning] = UNMETERED;
      res.writeHead(status, headers);
      await forward(body, res, PASSTHROUGH);
      return;
    }

    const bytes = await readWhole(body);
    const units = /json/i.test(contentType) ? meter.fromResponse(parseJson(bytes), call) : undefined;
    if (!units) {
      headers[HEADER.warning] = UNMETERED;
      sendWhole(res, status, headers, bytes);
      return;
    }
    const footprint = meterFootprint(call, units, options.now(), answer, options);
    Object.assign(headers, footprintHeaders(footprint));
    sendWhole(res, status, headers, bytes);
    // After the answer is on its way: the client does not wait for the sink or the budgets.
    options.record(footprint, call);
  } finally {
    forget?.();
  }
}

/** Header a caching policy sets on an answer it served from the cache instead of the upstream. */
export const CACHE_HEADER = 'x-greenprint-cache';

/**
 * The footprint of a metered call. An answer served from the cache (`x-greenprint-cache: hit`) cost
 * no inference: it is recorded with zero measured energy and no tokens, and the figures of the call it
 * replaced go in its tags (`avoidedEnergyWh`, `avoidedCo2eG`, `avoidedCostUsd`) as the counterfactual.
 */
function meterFootprint(
  call: GatewayCall,
  units: Units,
  endedAt: number,
  answer: UpstreamAnswer,
  options: RespondOptions,
  eventId = gatewayEventId(endedAt),
): Footprint {
  const event = usageEventOf(call, units, eventId, endedAt);
  if (answer.headers[CACHE_HEADER] !== 'hit') return estimateFootprint(options.estimator, event);
  const avoided = estimateFootprint(options.estimator, event).impact;
  const { inputTokens: _i, outputTokens: _o, cachedInputTokens: _c, reasoningTokens: _r, ...rest } = event;
  return estimateFootprint(options.estimator, {
    ...rest,
    measuredEnergy: { wh: 0, boundary: 'facility' },
    tags: {
      ...event.tags,
      cache: 'hit',
      ...(avoided
        ? {
            avoidedEnergyWh: String(avoided.energyWh.mid),
            avoidedCo2eG: String(avoided.carbonGCO2e.location.mid),
            avoidedCostUsd: String(avoided.costUsd?.mid ?? 0),
          }
        : {}),
    },
  });
}

/**
 * The error in the caller's protocol, when nothing of the answer has been sent yet; otherwise the
 * connection is cut, which is all a client can still be told.
 */
export function writeError(res: ClientResponse, error: GatewayError, protocol: Protocol): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(error, protocol));
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function clientHeaders(answer: AnswerHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in answer) {
    // An upstream's own x-greenprint-* headers were removed before the policies ran (callUpstream):
    // the ones left are the policies' own (route, cache …); the footprint headers are set afterwards.
    if (!DROPPED_HEADERS.has(name)) headers[name] = answer[name];
  }
  return headers;
}

function sendWhole(
  res: ClientResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  bytes: Uint8Array | undefined,
): void {
  if (!BODYLESS_STATUSES.has(status)) headers['content-length'] = bytes?.byteLength ?? 0;
  res.writeHead(status, headers);
  res.end(bytes);
}

/** How `forward` turns the answer's body into what the client gets. */
interface ForwardSteps {
  chunk(chunk: Uint8Array): string | Uint8Array;
  /** The last words, once the body has ended. */
  end(): string;
  /** What to say when the body broke off; null to cut the connection instead. */
  error(error: GatewayError): string | null;
  /** The client went away. */
  gone(): void;
}

const same = (chunk: Uint8Array) => chunk;
const PASSTHROUGH: ForwardSteps = { chunk: same, end: () => '', error: () => null, gone: () => {} };

/**
 * Writes the body to the client chunk by chunk as it arrives, holding the upstream back while the
 * client's socket is full. Resolves once the response is finished, cut, or the client has gone.
 */
function forward(body: AnswerBody | null, res: ClientResponse, steps: ForwardSteps): Promise<void> {
  if (!body) {
    res.end(steps.end());
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let written = false;
    let finished = false;
    const onDrain = () => body.resume();
    body.read({
      data(chunk) {
        if (finished) return;
        const out = steps.chunk(chunk);
        if (out.length === 0) return;
        written = true;
        if (!res.write(out)) {
          body.pause();
          res.once('drain', onDrain);
        }
      },
      end() {
        if (finished) return;
        finished = true;
        res.end(steps.end());
        resolve();
      },
      error(error) {
        if (finished) return;
        finished = true;
        if (error.code === 'client_closed_request') {
          steps.gone();
        } else {
          const out = steps.error(error);
          if (out === null) res.destroy();
          else res.end(out);
        }
        resolve();
      },
    });
    // Nothing to send yet: the status and headers go now, not with the first chunk.
    if (!written && !finished) res.flushHeaders();
  });
}

/** The protocol's own mid-stream error: OpenAI clients throw on `data: {"error": …}`, Anthropic ones on `event: error`. */
function streamErrorEvent(protocol: Protocol, error: GatewayError): string {
  const data = JSON.stringify(errorBody(error, protocol));
  return protocol === 'anthropic' ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

function text(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** The parsed JSON, or undefined when the bytes are not JSON. */
function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
