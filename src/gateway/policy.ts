import type { Operation } from '../core/index.js';
import type { UpstreamConfig } from './config.js';
import type { Protocol } from './gatewayError.js';

/** Who called, from the API key (see `authenticate`); set on the Hono context as `greenprint`. */
export interface GatewayIdentity {
  project: string;
  /** The matching `keys[].id`; undefined when the gateway runs without keys on loopback. */
  keyId: string | undefined;
}

/**
 * Key of the environment binding an in-process caller (the Batch API's runner, through `app.request`)
 * uses to call on behalf of a project and pin the upstream its plan chose. A symbol, so no HTTP request
 * can carry it.
 */
export const INTERNAL_CALL = Symbol.for('greenprint.internalCall');

export interface InternalCall {
  project: string;
  /** A configured upstream's name; used when it serves the model, else the usual route applies. */
  upstream?: string;
}

/** Reads the in-process caller's binding, if this request came through `app.request` with one. */
export function internalCallOf(env: unknown): InternalCall | undefined {
  return env && typeof env === 'object'
    ? (env as { [INTERNAL_CALL]?: InternalCall })[INTERNAL_CALL]
    : undefined;
}

/** Hono environment of the gateway app: `c.get('greenprint')` after authentication. */
export interface GatewayEnv {
  Variables: { greenprint: GatewayIdentity };
}

/** One proxied request, as the steps around the upstream call see it. */
export interface GatewayCall {
  /** Route of the gateway, e.g. `/v1/chat/completions`. */
  readonly path: string;
  readonly protocol: Protocol;
  readonly operation: Operation;
  /** The model the client asked for, before aliases. */
  readonly requestedModel: string;
  /** The model sent upstream (after `aliases`); a policy may change it together with `body`. */
  model: string;
  upstream: UpstreamConfig;
  /** The bytes sent upstream: the client's own, unless the model or `stream_options` had to change. */
  body: Uint8Array;
  /** The JSON body as sent upstream; undefined for multipart. */
  json: Record<string, unknown> | undefined;
  readonly contentType: string;
  /** The client's query string, with its `?`, or ''. Never changes the host. */
  readonly search: string;
  readonly stream: boolean;
  /** The gateway added `stream_options.include_usage`, so the usage-only chunk is not the client's. */
  readonly hideUsageChunk: boolean;
  readonly identity: GatewayIdentity;
  /** `x-greenprint-pipeline|stage|run` request headers. */
  readonly attribution: { pipeline?: string; stage?: string; run?: string };
  /** The client's request headers, for policies; they are never forwarded as a whole. */
  readonly headers: Headers;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms when the gateway received the request. */
  readonly startedAt: number;
}

/** Sends a call upstream and answers with its response (the body not yet read). */
export type UpstreamCall = (call: GatewayCall) => Promise<Response>;

/**
 * A step around the upstream call: caching, budgets, retries, fallbacks. It may answer itself, throw a
 * GatewayError, change `call` (another model or upstream) or call `next` any number of times. The
 * response it returns is metered and sent to the client like an upstream one.
 */
export type GatewayPolicy = (call: GatewayCall, next: UpstreamCall) => Promise<Response>;

/** Wraps `send` in the policies, the first one outermost. */
export function composePolicies(policies: readonly GatewayPolicy[], send: UpstreamCall): UpstreamCall {
  return policies.reduceRight<UpstreamCall>((next, policy) => (call) => policy(call, next), send);
}
