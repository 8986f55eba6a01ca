import type { Estimator } from '../core/index.js';
import { newEventId } from '../ledger/index.js';
import {
  estimateFootprint,
  type Footprint,
  footprintComment,
  footprintHeaders,
  HEADER,
  UNMETERED,
  usageEventOf,
} from './footprint.js';
import { errorBody, GatewayError, type Protocol, toGatewayError } from './gatewayError.js';
import { meterSse, type StreamOutcome } from './meterSse.js';
import type { Meter, Units } from './meters.js';
import type { GatewayCall } from './policy.js';
import { parseJson, readAll } from './readBody.js';

export interface RespondOptions {
  estimator: Estimator;
  /** Hands a finished call's event to the ledger's sink; must not throw or block. */
  /** Hands a metered call's footprint on (sink, budgets); never awaited. */
  record: (footprint: Footprint, call: GatewayCall) => void;
  now: () => number;
}

/** Upstream headers that describe the upstream connection or encoding, not the answer the client gets. */
const DROPPED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'proxy-connection',
  // fetch has already decoded the body, so its encoding and length no longer hold.
  'content-encoding',
  'content-length',
  'set-cookie',
]);

/**
 * Turns the upstream's response into the client's, metering it on the way:
 * - errors pass through with their status and body, plus `x-greenprint-upstream-status`;
 * - JSON answers are read whole (their footprint goes in the headers), then sent as they came;
 * - event streams pass event by event, with the footprint in a closing SSE comment;
 * - speech audio streams through unread: its units (characters) come from the request.
 * The event goes to the sink once the upstream answer is complete: for JSON as the response is built,
 * for streams at `[DONE]` (or the end, a failure, a client disconnect), for audio when the body ends.
 */
export async function respond(
  call: GatewayCall,
  upstream: Response,
  meter: Meter,
  options: RespondOptions,
): Promise<Response> {
  const headers = clientHeaders(upstream.headers);
  const init = { status: upstream.status, statusText: upstream.statusText, headers };
  if (!upstream.ok) {
    // Upstream failures arrive marked with x-greenprint-upstream-status (createGateway); policy refusals don't.
    return new Response(upstream.body ? await readAll(upstream) : null, init);
  }
  const eventId = newEventId(options.now(), 'gw');
  const contentType = upstream.headers.get('content-type') ?? '';
  const eventStream = /^\s*text\/event-stream/i.test(contentType);

  const known = meter.fromRequest?.(call);
  if (known && upstream.body) {
    const footprint = meterFootprint(call, known, eventId, call.startedAt, upstream, options);
    for (const [name, value] of Object.entries(footprintHeaders(footprint))) headers.set(name, value);
    const body = onEnd(upstream.body, () => {
      const event = { ...footprint.event, durationMs: Math.max(0, options.now() - call.startedAt) };
      options.record({ ...footprint, event }, call);
    });
    return new Response(body, init);
  }

  const stream = meter.stream;
  if (eventStream && stream && upstream.body) {
    const seen = stream(call);
    headers.set(HEADER.eventId, eventId);
    const body = meterSse(upstream.body, {
      see: seen.see,
      end(outcome: StreamOutcome) {
        const units = seen.units();
        if (!units) return footprintComment({ eventId, warning: UNMETERED });
        const footprint = meterFootprint(call, units, eventId, options.now(), upstream, options);
        options.record(footprint, call);
        return outcome === 'cancel' ? '' : footprintComment(footprint);
      },
      errorEvent: (error) => streamErrorEvent(call.protocol, toGatewayError(error)),
    });
    return new Response(body, init);
  }

  if (eventStream || !meter.fromResponse || !upstream.body) {
    headers.set(HEADER.warning, UNMETERED);
    return new Response(upstream.body, init);
  }

  const bytes = await readAll(upstream);
  const units = /json/i.test(contentType) ? meter.fromResponse(parseJson(bytes), call) : undefined;
  if (!units) {
    headers.set(HEADER.warning, UNMETERED);
  } else {
    const footprint = meterFootprint(call, units, eventId, options.now(), upstream, options);
    options.record(footprint, call);
    for (const [name, value] of Object.entries(footprintHeaders(footprint))) headers.set(name, value);
  }
  return new Response(bytes, init);
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
  eventId: string,
  endedAt: number,
  answer: Response,
  options: RespondOptions,
): Footprint {
  const event = usageEventOf(call, units, eventId, endedAt);
  if (answer.headers.get(CACHE_HEADER) !== 'hit') return estimateFootprint(options.estimator, event);
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

function clientHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream) {
    // Upstream x-greenprint-* headers were removed before the policies ran (createGateway): the ones
    // left are the policies' own (route, cache …); the footprint headers are set afterwards.
    if (DROPPED_HEADERS.has(name)) continue;
    headers.append(name, value);
  }
  return headers;
}

/** The protocol's own mid-stream error: OpenAI clients throw on `data: {"error": …}`, Anthropic ones on `event: error`. */
function streamErrorEvent(protocol: Protocol, error: GatewayError): string {
  const data = JSON.stringify(errorBody(error, protocol));
  return protocol === 'anthropic' ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

/** `body` unchanged, calling `done` once when it ends, fails or is cancelled. */
function onEnd(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let called = false;
  const finish = () => {
    if (!called) {
      called = true;
      done();
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            finish();
            controller.close();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          // Binary bodies have no in-band error: the client sees the connection cut short.
          finish();
          controller.error(error);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
