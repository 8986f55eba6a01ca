import { Agent, type Dispatcher } from 'undici';
import type { AnswerBody, AnswerHeaders, BodySink, UpstreamAnswer } from './answer.js';
import { clientGone } from './answer.js';
import { clientLinkOf } from './clientLink.js';
import type { UpstreamConfig } from './config.js';
import { HEADER } from './footprint.js';
import { GatewayError } from './gatewayError.js';
import type { GatewayCall } from './policy.js';

export interface CallUpstreamOptions {
  /** Carries the requests; `upstreamAgent` unless a test brings its own. */
  dispatcher: Dispatcher;
  /** Upstream API keys by upstream name, resolved once from `apiKeyEnv`. */
  keys: ReadonlyMap<string, string | undefined>;
}

/** Sends a call to its upstream and resolves with the answer's status and headers, its body unread. */
export type NativeUpstreamCall = (call: GatewayCall) => Promise<UpstreamAnswer>;

/**
 * Keep-alive connections to the upstreams, shared by every gateway of the process: one request per
 * connection at a time (no pipelining, so a slow answer never holds up another), up to 256 per origin.
 */
export const upstreamAgent: Dispatcher = new Agent({
  keepAliveTimeout: 30_000,
  connections: 256,
  pipelining: 1,
});

/** Client headers worth passing on; everything else (the client's key, hosts, cookies) stays behind. */
const FORWARDED_HEADERS = ['accept', 'anthropic-version', 'anthropic-beta', 'openai-beta', 'idempotency-key'];
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/**
 * Sends a call to its upstream on undici's dispatcher API: `baseUrl` from the config plus the endpoint
 * path, the upstream's own key, and the call's bytes. No WHATWG Request, Response or stream is made:
 * the body is pushed chunk by chunk to whoever reads it (see AnswerBody), with backpressure.
 *
 * `timeoutMs` bounds the wait for the response headers and, after that, every wait for the next body
 * chunk while the gateway is reading (undici's headersTimeout and bodyTimeout; a body held back
 * because the client reads slowly does not time out). The client going away aborts the request.
 * Redirects are never followed: a 3xx goes to the client as it is.
 *
 * Failures before the response reject with 502 `upstream_unavailable`, 504 `upstream_timeout` or 499
 * `client_closed_request`; a body that breaks off ends with `upstream_timeout` or
 * `upstream_interrupted`. The upstream's own `x-greenprint-*` headers are dropped (an upstream that is
 * itself a Greenprint gateway must not speak for this one) and a failure status is marked with
 * `x-greenprint-upstream-status`, so that refusals the policies make themselves carry none.
 */
export function callUpstream(options: CallUpstreamOptions): NativeUpstreamCall {
  const targets = new Map<UpstreamConfig, { origin: string; prefix: string }>();
  const targetOf = (upstream: UpstreamConfig) => {
    let target = targets.get(upstream);
    if (!target) {
      const url = new URL(upstream.baseUrl);
      target = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
      targets.set(upstream, target);
    }
    return target;
  };

  return function callUpstream(call) {
    const { upstream } = call;
    let headers: Record<string, string>;
    try {
      headers = upstreamHeaders(call, options.keys);
    } catch (error) {
      return Promise.reject(error);
    }
    const { origin, prefix } = targetOf(upstream);
    const exchange = new Exchange(upstream);
    const link = clientLinkOf(call);
    if (link) {
      exchange.forget = link.onGone(() => exchange.cancel());
    } else {
      // A call a policy made up itself: only its signal says when the client goes.
      const onAbort = () => exchange.cancel();
      call.signal.addEventListener('abort', onAbort, { once: true });
      exchange.forget = () => call.signal.removeEventListener('abort', onAbort);
      if (call.signal.aborted) exchange.cancel();
    }
    if (exchange.settled) return exchange.headers;
    try {
      options.dispatcher.dispatch(
        {
          origin,
          path: `${prefix}/${upstreamPath(call.path)}${call.search}`,
          method: 'POST',
          headers,
          body: call.body,
          headersTimeout: upstream.timeoutMs,
          bodyTimeout: upstream.timeoutMs,
        },
        exchange,
      );
    } catch (error) {
      exchange.onResponseError(undefined, error as Error);
    }
    return exchange.headers;
  };
}

/**
 * One upstream request: a dispatch handler that resolves `headers` with the answer, then serves as its
 * body, holding back chunks that arrive before anyone reads them.
 */
class Exchange implements Dispatcher.DispatchHandler, AnswerBody {
  readonly headers: Promise<UpstreamAnswer>;
  /** Stops listening for the client going away. */
  forget: (() => void) | undefined;
  private resolve!: (answer: UpstreamAnswer) => void;
  private reject!: (error: GatewayError) => void;
  private state: 'waiting' | 'body' | 'ended' | 'failed' | 'cancelled' = 'waiting';
  private controller: Dispatcher.DispatchController | undefined;
  private sink: BodySink | undefined;
  /** Chunks, then the end or the failure, that arrived before `read`. */
  private early: Uint8Array[] | undefined;
  private failure: GatewayError | undefined;
  private paused = false;

  constructor(private readonly upstream: UpstreamConfig) {
    this.headers = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get settled(): boolean {
    return this.state !== 'waiting';
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.state === 'cancelled') controller.abort(clientGone());
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // 1xx informational answers are the connection's business, not the client's.
    if (status < 200 || this.state !== 'waiting') return;
    this.controller = controller;
    this.state = 'body';
    this.resolve({
      status,
      statusText: statusMessage ?? '',
      headers: answerHeaders(headers, status),
      body: this,
    });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.state !== 'body') return;
    if (this.sink) this.sink.data(chunk);
    else (this.early ??= []).push(chunk);
  }

  onResponseEnd(): void {
    if (this.state !== 'body') return;
    this.state = 'ended';
    this.forget?.();
    this.sink?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    const state = this.state;
    if (state === 'ended' || state === 'failed' || state === 'cancelled') return;
    this.state = 'failed';
    this.forget?.();
    if (state === 'waiting') {
      this.reject(this.failedBeforeAnswer(error));
      return;
    }
    this.failure = this.failedInBody(error);
    this.sink?.error(this.failure);
  }

  read(sink: BodySink): void {
    this.sink = sink;
    const early = this.early;
    this.early = undefined;
    if (early) for (const chunk of early) sink.data(chunk);
    if (this.state === 'ended') sink.end();
    else if (this.state === 'failed' && this.failure) sink.error(this.failure);
    else if (this.state === 'cancelled') sink.error(clientGone());
  }

  pause(): void {
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.controller?.resume();
  }

  cancel(): void {
    const state = this.state;
    if (state === 'ended' || state === 'failed' || state === 'cancelled') return;
    this.state = 'cancelled';
    this.forget?.();
    const gone = clientGone();
    if (this.controller && !this.controller.aborted) this.controller.abort(gone);
    if (state === 'waiting') this.reject(gone);
    else this.sink?.error(gone);
  }

  private failedBeforeAnswer(error: Error): GatewayError {
    const { upstream } = this;
    if (codeOf(error) === 'UND_ERR_HEADERS_TIMEOUT') return timeout(upstream, 'answer', error);
    return new GatewayError(
      'upstream_unavailable',
      `The upstream "${upstream.name}" could not be reached (${causeOf(error)}). Check that it is running and that its baseUrl in the gateway config is right.`,
      { cause: error },
    );
  }

  private failedInBody(error: Error): GatewayError {
    const { upstream } = this;
    if (codeOf(error) === 'UND_ERR_BODY_TIMEOUT') {
      return timeout(upstream, 'send the next part of its response', error);
    }
    return new GatewayError(
      'upstream_interrupted',
      `The upstream "${upstream.name}" broke off its response (${causeOf(error)}). Retry the request.`,
      { cause: error },
    );
  }
}

/** The upstream's headers without its own x-greenprint-* ones, and a failure marked with its status. */
function answerHeaders(
  upstream: Record<string, string | string[] | undefined>,
  status: number,
): AnswerHeaders {
  const headers: AnswerHeaders = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value !== undefined && !name.startsWith('x-greenprint-')) headers[name] = value;
  }
  if (status >= 300) headers[HEADER.upstreamStatus] = String(status);
  return headers;
}

function upstreamHeaders(
  call: GatewayCall,
  keys: ReadonlyMap<string, string | undefined>,
): Record<string, string> {
  const { upstream } = call;
  const headers: Record<string, string> = { 'content-type': call.contentType };
  const raw = clientLinkOf(call)?.headers;
  for (const name of FORWARDED_HEADERS) {
    const value = raw ? raw[name] : call.headers.get(name);
    if (value) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const key = keys.get(upstream.name);
  if (upstream.apiKeyEnv && !key) {
    throw new GatewayError(
      'upstream_key_missing',
      `The upstream "${upstream.name}" needs its API key in the environment variable ${upstream.apiKeyEnv}, which is not set. Set it where the gateway runs and restart it.`,
    );
  }
  if (upstream.kind === 'anthropic') {
    if (key) headers['x-api-key'] = key;
    headers['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
  } else if (key) {
    headers.authorization = `Bearer ${key}`;
  }
  return headers;
}

/** `/v1/chat/completions` → `chat/completions`, to append to a baseUrl that ends with its version. */
function upstreamPath(path: string): string {
  return path.startsWith('/v1/') ? path.slice(4) : path.slice(1);
}

function timeout(upstream: UpstreamConfig, what: string, cause: unknown): GatewayError {
  return new GatewayError(
    'upstream_timeout',
    `The upstream "${upstream.name}" did not ${what} within ${upstream.timeoutMs} ms. Retry later, or raise its timeoutMs in the gateway config.`,
    { cause },
  );
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

/** A short, key-free reason: the socket error code (ECONNREFUSED …) rather than a full message. */
function causeOf(error: unknown): string {
  const code = codeOf(error);
  if (typeof code === 'string' && !code.startsWith('UND_ERR_')) return code;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : 'unknown error';
}
