import { withHeaders } from '../policies/routeHeaders.js';
import type { GatewayPolicy } from '../policy.js';
import { CACHE_HEADER, DROPPED_HEADERS } from '../respond.js';
import { cacheKey } from './cacheKey.js';
import type { CacheStore, StoredAnswer } from './cacheStore.js';
import { isCacheable } from './isCacheable.js';

/** Response header with the first 16 hex digits of the call's cache key, on hits and misses. */
export const CACHE_KEY_HEADER = 'x-greenprint-cache-key';

export interface CachePolicyOptions {
  /** How long a stored answer is served, seconds (`cache.ttlSeconds`). */
  ttlSeconds: number;
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
  /** A store that threw, or a stored answer that could not be sent again; default console.error. */
  onError?: (error: Error) => void;
}

/**
 * Headers not worth keeping: the connection's own, the body's length and encoding (the gateway sends
 * the decoded body), per-client ones, and figures true only at the time (dates, rate limits).
 */
const UNSTORED_HEADERS = new Set([...DROPPED_HEADERS, 'date', 'age']);

/**
 * An exact response cache in front of the upstream, for the calls `isCacheable` allows. The key is
 * `cacheKey(call)`: same project, route, upstream, model and normalised body.
 *
 * - Hit: the stored answer (status, headers, body) with `x-greenprint-cache: hit`, `x-greenprint-cache-key`
 *   and `age`; the upstream is not called. The gateway meters a hit as a zero-energy event and puts the
 *   energy, carbon and cost it avoided in the event's tags (see `respond`).
 * - Miss: the upstream's answer with `x-greenprint-cache: miss`. A 200 JSON answer is read (from a clone,
 *   so the client's copy and its errors stay the gateway's usual ones) and stored for `ttlSeconds`. The
 *   write is started before the answer goes back but not awaited: an in-memory store has the entry at
 *   once, Redis has the SET on the wire. Errors and other statuses are never stored.
 *
 * A store that fails counts as a miss: the cache never fails a request. Identical requests that
 * arrive together all miss and all reach the upstream; nothing coalesces them.
 *
 * Put it first in `policies`, outermost: a hit then skips budgets, retries and cascades. The key is
 * taken before the policies inside it run, so an answer a fallback gave is stored under the key of the
 * model first routed to, and a hit on it is metered (as avoided) for that model.
 */
export function cachePolicy(store: CacheStore, options: CachePolicyOptions): GatewayPolicy {
  const now = options.now ?? Date.now;
  const report = options.onError ?? ((error: Error) => console.error(error));
  const ttlSeconds = options.ttlSeconds;

  return async function cache(call, next) {
    if (!isCacheable(call)) return next(call);
    const key = cacheKey(call);
    const label = key.slice(0, 16);

    let stored: StoredAnswer | undefined;
    try {
      stored = await store.get(key);
    } catch (error) {
      report(
        new Error('The response cache could not be read; the call goes to the upstream.', { cause: error }),
      );
    }
    if (stored) {
      try {
        return replay(stored, label, now());
      } catch (error) {
        report(
          new Error(`The cached answer ${label} could not be sent again; the call goes to the upstream.`, {
            cause: error,
          }),
        );
      }
    }

    const response = await next(call);
    if (response.status === 200 && /json/i.test(response.headers.get('content-type') ?? '')) {
      const answer = await storedAnswerOf(response, now());
      if (answer) {
        startWrite(() => store.set(key, answer, ttlSeconds)).catch((error: unknown) =>
          report(new Error(`The response cache could not store answer ${label}.`, { cause: error })),
        );
      }
    }
    return labelled(response, label);
  };
}

/** The stored answer as a response; throws on headers a Response refuses (a damaged entry). */
function replay(stored: StoredAnswer, label: string, now: number): Response {
  const headers = new Headers(stored.headers);
  headers.set(CACHE_HEADER, 'hit');
  headers.set(CACHE_KEY_HEADER, label);
  headers.set('age', String(Math.max(0, Math.floor((now - stored.storedAt) / 1000))));
  return new Response(new Uint8Array(Buffer.from(stored.body, 'base64')), { status: stored.status, headers });
}

/**
 * What to store of a 200 JSON answer, read from a clone; undefined when the body breaks off or is not
 * JSON (a hit on it could not be metered).
 */
async function storedAnswerOf(response: Response, storedAt: number): Promise<StoredAnswer | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.clone().arrayBuffer());
    JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const headers = [...response.headers].filter(
    ([name]) =>
      !UNSTORED_HEADERS.has(name) && !name.startsWith('x-greenprint-') && !name.startsWith('x-ratelimit-'),
  );
  return { status: response.status, headers, body: Buffer.from(bytes).toString('base64'), storedAt };
}

/** Starts `write` now, in this tick; a store that throws instead of rejecting rejects all the same. */
function startWrite(write: () => Promise<void>): Promise<void> {
  try {
    return write();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `response` marked as a miss; its body passes unread. */
function labelled(response: Response, label: string): Response {
  return withHeaders(response, { [CACHE_HEADER]: 'miss', [CACHE_KEY_HEADER]: label });
}
