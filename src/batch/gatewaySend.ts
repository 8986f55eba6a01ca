import type { Hono } from 'hono';
import { HEADER, INTERNAL_CALL } from '../gateway/index.js';
import type { BatchCall, BatchCallAnswer } from './batchService.js';

/**
 * Sends batch requests through the gateway in-process (`app.request`), so budgets, the cache, limits
 * and metering apply as they do to any call. The project and the planned upstream travel in the
 * request's environment, which no HTTP client can set.
 */
export function gatewaySend(gateway: Pick<Hono, 'request'>): (call: BatchCall) => Promise<BatchCallAnswer> {
  return async function send(call) {
    const response = await gateway.request(
      call.path,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...call.headers },
        body: JSON.stringify(call.body),
        signal: call.signal,
      },
      { [INTERNAL_CALL]: { project: call.project, upstream: call.upstream } },
    );
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Keep a non-JSON answer as text in the output file.
    }
    return {
      status: response.status,
      body,
      requestId: response.headers.get(HEADER.eventId) ?? response.headers.get('x-request-id') ?? '',
      energyWh: Number(response.headers.get(HEADER.energyWh)) || 0,
    };
  };
}
