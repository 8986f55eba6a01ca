import type { GatewayCall } from '../policy.js';
import { CACHE_HEADER } from '../respond.js';

/** Routes whose non-streaming JSON answers may be cached. */
export const CACHEABLE_PATHS: ReadonlySet<string> = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
]);

/** What the client asked for with the `x-greenprint-cache` request header: `on`, `off`, or nothing. */
export function requestedCacheMode(headers: Headers): 'on' | 'off' | undefined {
  const value = headers.get(CACHE_HEADER)?.trim().toLowerCase();
  return value === 'on' || value === 'off' ? value : undefined;
}

/**
 * Whether a call's answer may come from, and go to, the cache. Only answers the client would get again
 * anyway are reused:
 * - only non-streaming JSON POSTs to /v1/chat/completions, /v1/completions and /v1/embeddings;
 * - never with the request header `x-greenprint-cache: off`;
 * - embeddings always (they are deterministic);
 * - completions at `temperature: 0`;
 * - completions that sample (temperature above 0, or absent: providers default to 1) only when the
 *   client opts in with `x-greenprint-cache: on` and makes the sample repeatable: a numeric `seed` and
 *   at most one choice (`n` absent or 1). Without a seed, or asking for several samples, the client
 *   wants variety, which a cache would take away; opting in does not change that.
 */
export function isCacheable(call: Pick<GatewayCall, 'path' | 'json' | 'stream' | 'headers'>): boolean {
  const { json } = call;
  if (!CACHEABLE_PATHS.has(call.path) || !json || call.stream || json.stream === true) return false;
  const mode = requestedCacheMode(call.headers);
  if (mode === 'off') return false;
  if (call.path === '/v1/embeddings' || json.temperature === 0) return true;
  const oneChoice = json.n === undefined || json.n === null || json.n === 1;
  return mode === 'on' && typeof json.seed === 'number' && oneChoice;
}
