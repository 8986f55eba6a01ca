import type { UpstreamConfig } from './config.js';
import { GatewayError } from './gatewayError.js';
import type { GatewayCall, UpstreamCall } from './policy.js';

export interface CallUpstreamOptions {
  fetch: typeof fetch;
  /** Upstream API keys by upstream name, resolved once from `apiKeyEnv`. */
  keys: ReadonlyMap<string, string | undefined>;
}

/** Client headers worth passing on; everything else (the client's key, hosts, cookies) stays behind. */
const FORWARDED_HEADERS = ['accept', 'anthropic-version', 'anthropic-beta', 'openai-beta', 'idempotency-key'];
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/**
 * Sends a call to its upstream: `baseUrl` from the config plus the endpoint path, the upstream's own
 * key, and the call's bytes. `timeoutMs` bounds the wait for the response headers and, after that,
 * every wait for the next body chunk; the client going away aborts the upstream request.
 *
 * Failures before the response become 502 `upstream_unavailable` or 504 `upstream_timeout`; the body of
 * the returned response errors with a GatewayError (`upstream_timeout`, `upstream_interrupted`).
 */
export function callUpstream(options: CallUpstreamOptions): UpstreamCall {
  return async function callUpstream(call) {
    const { upstream } = call;
    const headers = upstreamHeaders(call, options.keys);
    const url = `${upstream.baseUrl.replace(/\/+$/, '')}/${upstreamPath(call.path)}${call.search}`;
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, upstream.timeoutMs);
    };
    const onClientGone = () => controller.abort();
    const settle = () => {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onClientGone);
    };
    if (call.signal.aborted) throw clientGone();
    call.signal.addEventListener('abort', onClientGone, { once: true });

    arm();
    let response: Response;
    try {
      response = await options.fetch(url, {
        method: 'POST',
        headers,
        body: call.body,
        signal: controller.signal,
        // A redirect would be the upstream choosing another host; pass it to the client instead.
        redirect: 'manual',
      });
    } catch (error) {
      settle();
      if (timedOut) throw timeout(upstream, 'answer', error);
      if (call.signal.aborted) throw clientGone(error);
      const reason = causeOf(error);
      throw new GatewayError(
        'upstream_unavailable',
        `The upstream "${upstream.name}" could not be reached (${reason}). Check that it is running and that its baseUrl in the gateway config is right.`,
        { cause: error },
      );
    }
    clearTimeout(timer);
    if (!response.body) {
      settle();
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          // The clock runs only while the gateway waits on the upstream, not while the client is slow.
          arm();
          try {
            const chunk = await reader.read();
            clearTimeout(timer);
            if (chunk.done) {
              settle();
              controller.close();
            } else {
              controller.enqueue(chunk.value);
            }
          } catch (error) {
            settle();
            controller.error(
              timedOut
                ? timeout(upstream, 'send the next part of its response', error)
                : new GatewayError(
                    'upstream_interrupted',
                    `The upstream "${upstream.name}" broke off its response (${causeOf(error)}). Retry the request.`,
                    { cause: error },
                  ),
            );
          }
        },
        cancel(reason) {
          settle();
          controller.abort();
          return reader.cancel(reason).catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function upstreamHeaders(call: GatewayCall, keys: ReadonlyMap<string, string | undefined>): Headers {
  const { upstream } = call;
  const headers = new Headers({ 'content-type': call.contentType });
  for (const name of FORWARDED_HEADERS) {
    const value = call.headers.get(name);
    if (value) headers.set(name, value);
  }
  const key = keys.get(upstream.name);
  if (upstream.apiKeyEnv && !key) {
    throw new GatewayError(
      'upstream_key_missing',
      `The upstream "${upstream.name}" needs its API key in the environment variable ${upstream.apiKeyEnv}, which is not set. Set it where the gateway runs and restart it.`,
    );
  }
  if (upstream.kind === 'anthropic') {
    if (key) headers.set('x-api-key', key);
    if (!headers.has('anthropic-version')) headers.set('anthropic-version', DEFAULT_ANTHROPIC_VERSION);
  } else if (key) {
    headers.set('authorization', `Bearer ${key}`);
  }
  return headers;
}

/** `/v1/chat/completions` → `chat/completions`, to append to a baseUrl that ends with its version. */
function upstreamPath(path: string): string {
  return path.replace(/^\/v1\//, '');
}

function timeout(upstream: UpstreamConfig, what: string, cause: unknown): GatewayError {
  return new GatewayError(
    'upstream_timeout',
    `The upstream "${upstream.name}" did not ${what} within ${upstream.timeoutMs} ms. Retry later, or raise its timeoutMs in the gateway config.`,
    { cause },
  );
}

function clientGone(cause?: unknown): GatewayError {
  return new GatewayError(
    'client_closed_request',
    'The client closed the request before the upstream answered.',
    {
      cause,
    },
  );
}

/** A short, key-free reason: the socket error code (ECONNREFUSED …) rather than a full message. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'unknown error';
}
