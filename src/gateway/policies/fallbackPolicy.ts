import { GatewayError } from '../gatewayError.js';
import type { GatewayCall, GatewayPolicy } from '../policy.js';
import { retryDelayMs } from './retryDelayMs.js';
import { ROUTE_HEADER, withHeaders } from './routeHeaders.js';
import { type ResolveUpstream, type RoutePolicies, routeTable } from './routePolicies.js';
import { switchModel } from './switchModel.js';

export interface FallbackPolicyOptions {
  /** Finds the upstream of each fallback model; every one must resolve when the policy is created. */
  resolveUpstream: ResolveUpstream;
  /** Waits `ms`, resolving early when `signal` aborts; default a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Clock, epoch ms, to read Retry-After dates; default Date.now. */
  now?: () => number;
  /** Uniform in [0, 1), for the backoff's jitter; default Math.random. */
  random?: () => number;
}

/**
 * Upstream statuses worth another try: rate limited, or the upstream (or one in front of it) failing;
 * 529 is Anthropic's "overloaded".
 */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504, 529]);
/** Gateway failures before any answer: the upstream unreachable, or silent past its timeoutMs. */
const RETRYABLE_CODES = new Set(['upstream_unavailable', 'upstream_timeout']);

/**
 * Retries and fallbacks for the calls whose model matches a route (the first matching route applies).
 *
 * A try fails when the upstream cannot be reached or times out (GatewayError `upstream_unavailable`,
 * `upstream_timeout`) or answers 429, 500, 502, 503, 504 or 529. Each model gets `retries.attempts` tries:
 * before a retry the policy waits the upstream's Retry-After (seconds or HTTP date) or an exponential
 * backoff with jitter, never more than `retries.maxDelayMs`. When a model runs out of tries the next of
 * `fallbacks` is tried, on its own upstream: `call.model`, `call.upstream`, `call.json` and the `model`
 * in `call.body` change (the rest of the bytes stay the client's), so the answer is metered for the
 * model and upstream that gave it. Fallbacks served over another wire protocol than the call's are
 * skipped. Without a success the last try's outcome stands: its response, or its error rethrown.
 *
 * Any other response (a 200 stream included) is returned at once, unread, so nothing the client has
 * seen is ever retried; nothing is retried either once the client has gone (`call.signal`). The
 * response carries `x-greenprint-route` (the model that answered) and `x-greenprint-attempts` (tries).
 *
 * Energy: failed tries are not metered. Error answers carry no usage, but a try that timed out may
 * have made the upstream generate for nothing; that is not counted.
 */
export function fallbackPolicy(routes: RoutePolicies, options: FallbackPolicyOptions): GatewayPolicy {
  const table = routeTable(routes, options.resolveUpstream);
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;

  return async function fallback(call, next) {
    const route = table.find(call);
    if (!route) return next(call);
    const { attempts, baseDelayMs, maxDelayMs } = route.retries;
    const models = [...new Set([call.model, ...route.fallbacks])];
    const kind = call.upstream.kind;
    let tries = 0;
    let last: { response: Response } | { error: unknown } | undefined;

    models: for (const [index, model] of models.entries()) {
      if (index > 0) {
        const upstream = options.resolveUpstream(model, kind);
        if (upstream?.kind !== kind) continue;
        switchModel(call, model, upstream);
      }
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (attempt > 0) {
          const headers = last && 'response' in last ? last.response.headers : undefined;
          const retry = attempt - 1;
          await sleep(
            retryDelayMs({ retry, baseDelayMs, maxDelayMs, headers, now: now(), random: random() }),
            call.signal,
          );
        }
        // The client has gone: whatever comes next would be for nobody.
        if (tries > 0 && call.signal.aborted) break models;
        discard(last);
        tries++;
        try {
          const response = await next(call);
          if (!RETRYABLE_STATUSES.has(response.status)) return labelled(response, call, tries);
          last = { response };
        } catch (error) {
          if (!retryable(error)) throw error;
          last = { error };
        }
      }
    }
    if (last && 'response' in last) return labelled(last.response, call, tries);
    throw last ? last.error : new Error('fallbackPolicy made no try');
  };
}

function retryable(error: unknown): boolean {
  return error instanceof GatewayError && RETRYABLE_CODES.has(error.code);
}

function labelled(response: Response, call: GatewayCall, tries: number): Response {
  return withHeaders(response, { [ROUTE_HEADER.route]: call.model, [ROUTE_HEADER.attempts]: String(tries) });
}

/** Lets go of a failed answer's body, which closes its upstream request. */
function discard(last: { response: Response } | { error: unknown } | undefined): void {
  if (last && 'response' in last) last.response.body?.cancel().catch(() => {});
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
