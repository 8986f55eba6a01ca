import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { type Context, Hono } from 'hono';
import type { Dispatcher } from 'undici';
import type { Estimator } from '../core/index.js';
import { answerOfResponse, responseOfAnswer, type UpstreamAnswer } from './answer.js';
import { authenticate, identify } from './authenticate.js';
import { buildCall, readRequestBody, readWebRequestBody } from './buildCall.js';
import { callUpstream, type NativeUpstreamCall, upstreamAgent } from './callUpstream.js';
import { ClientLink } from './clientLink.js';
import type { GatewayConfig } from './config.js';
import { ENDPOINTS, type Endpoint } from './endpoints.js';
import { gatewayEventId } from './eventId.js';
import { estimateFootprint, type Footprint, usageEventOf } from './footprint.js';
import { errorResponse, toGatewayError } from './gatewayError.js';
import { openAITokensMeter } from './meters.js';
import { cascadePolicy, fallbackPolicy, upstreamResolver } from './policies/index.js';
import {
  composePolicies,
  type GatewayCall,
  type GatewayEnv,
  type GatewayPolicy,
  type InternalCall,
  internalCallOf,
} from './policy.js';
import { respond, writeError } from './respond.js';
import type { EventSink } from './sink.js';
import { type ClientResponse, WebOutput } from './webOutput.js';

export interface GatewayOptions {
  config: GatewayConfig;
  estimator: Estimator;
  /** Receives each metered call's event once its upstream answer is complete; never awaited. */
  sink: EventSink;
  /** Carries every upstream request; default `upstreamAgent` (undici, keep-alive, no pipelining). */
  dispatcher?: Dispatcher;
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
  /**
   * Refuse requests without a valid key even when `config.keys` is empty. Set it when the gateway
   * listens beyond loopback; default false (a loopback gateway without keys serves project `default`).
   */
  requireKey?: boolean;
  /** Steps around the upstream call (cache, budget, retry, fallback …), the first one outermost. */
  policies?: readonly GatewayPolicy[];
  /** Told of every metered call once its answer is complete (budgets settle here); never awaited. */
  observers?: readonly ((call: GatewayCall, footprint: Footprint) => void)[];
  /** Where the upstreams' `apiKeyEnv` variables are read, once, at creation; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Unexpected failures (a sink that throws, a bug); default console.error. Never gets a key. */
  onError?: (error: Error) => void;
}

/** The gateway: a Hono app with its routes, and the same proxied routes straight on node:http. */
export interface Gateway extends Hono<GatewayEnv> {
  /**
   * Serves a node:http request when it is a POST to one of the proxied routes (ENDPOINTS) and answers
   * true; answers false, leaving the request untouched, for anything else (GET /v1/models, other
   * routes of the server). Put it in front of the Hono app's request listener: the hot path then
   * builds no WHATWG Request, Response or stream (see docs/decisions).
   */
  serveNode(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The OpenAI- and Anthropic-compatible gateway: applications call it instead of the provider. Each
 * request is authenticated by a gateway key, routed by model to a configured upstream, forwarded
 * with the upstream's own key, and metered: the footprint goes back in `x-greenprint-*` headers (or a
 * closing SSE comment for streams) and the usage event to `sink`.
 *
 * Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/images/generations,
 * /v1/audio/speech, /v1/audio/transcriptions, /v1/messages (Anthropic); GET /v1/models.
 * The POST routes run on node:http (`serveNode`). Their Hono routes run the same code: on
 * @hono/node-server's node:http objects when served by it (mounted in another Hono app too), or
 * answering a web Response to a caller without a socket (`app.request`, as the Batch API calls in
 * process). Middleware is attached per route, so mounting the app with `route('/', gateway)` affects
 * no other route.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { config, estimator, sink } = options;
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const report = options.onError ?? ((error: Error) => console.error(error));
  const keys = new Map(
    config.upstreams.map((u) => [u.name, u.apiKeyEnv ? env[u.apiKeyEnv] || undefined : undefined] as const),
  );
  const observers = options.observers ?? [];
  const record = (footprint: Footprint, call?: GatewayCall) => {
    try {
      sink.enqueue(footprint.event);
      if (call) for (const observe of observers) observe(call, footprint);
    } catch (error) {
      // The client already has its answer; a sink failure must not take it back.
      report(
        new Error(`The gateway could not hand event ${footprint.event.id} to the sink.`, { cause: error }),
      );
    }
  };
  const upstream = callUpstream({ dispatcher: options.dispatcher ?? upstreamAgent, keys });
  const send = withPolicies(
    [...(options.policies ?? []), ...routePolicies(config, estimator, record, now)],
    upstream,
  );
  const keyOptions = { keys: config.keys, requireKey: options.requireKey ?? false };
  const who = identify(keyOptions);
  const respondOptions = { estimator, record, now };
  const maxBodyBytes = config.server.maxBodyBytes;

  /**
   * One proxied request, start to finish, from either front (node:http or a web Request); never
   * rejects. `internal`: the binding of an in-process caller (the Batch API), who needs no key.
   */
  async function serveCall(
    out: ClientResponse,
    endpoint: Endpoint,
    link: ClientLink,
    search: string,
    readBody: () => Promise<Buffer>,
    internal: InternalCall | undefined,
  ): Promise<void> {
    const startedAt = now();
    try {
      const identity = internal
        ? { project: internal.project, keyId: undefined }
        : who(link.headers.authorization, text(link.headers['x-api-key']));
      const bytes = await readBody();
      const call = buildCall(bytes, {
        config,
        endpoint,
        identity,
        link,
        search,
        startedAt,
        pinnedUpstream: internal?.upstream,
      });
      const answer = await send(call);
      await respond(call, answer, endpoint.meter, out, link, respondOptions);
    } catch (error) {
      const gatewayError = toGatewayError(error);
      if (gatewayError.code === 'internal_error') report(error as Error);
      writeError(out, gatewayError, endpoint.protocol);
    }
  }

  function serveIncoming(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, search: string) {
    const link = new ClientLink(req.headers);
    res.on('close', () => {
      if (!res.writableFinished) link.markGone();
    });
    return serveCall(res, endpoint, link, search, () => readRequestBody(req, maxBodyBytes), undefined);
  }

  const byPath = new Map(ENDPOINTS.map((endpoint) => [endpoint.path, endpoint]));
  const serveNode = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const endpoint = byPath.get(query === -1 ? url : url.slice(0, query));
    if (!endpoint) return false;
    void serveIncoming(req, res, endpoint, query === -1 ? '' : url.slice(query));
    return true;
  };

  const app = new Hono<GatewayEnv>();
  for (const endpoint of ENDPOINTS) {
    app.post(endpoint.path, async function proxy(c) {
      const { incoming, outgoing } = (c.env ?? {}) as Partial<HttpBindings>;
      const internal = internalCallOf(c.env);
      if (incoming && outgoing && !internal) {
        // Served by @hono/node-server: answer on its node:http objects, as serveNode does.
        await serveIncoming(incoming, outgoing, endpoint, searchOf(incoming.url ?? ''));
        return RESPONSE_ALREADY_SENT;
      }
      // A web Request without a socket (app.request): the answer becomes a web Response.
      const request = c.req.raw;
      const link = new ClientLink(Object.fromEntries(request.headers));
      request.signal.addEventListener('abort', () => link.markGone(), { once: true });
      const out = new WebOutput(() => link.markGone());
      const search = searchOf(request.url);
      void serveCall(out, endpoint, link, search, () => readWebRequestBody(request, maxBodyBytes), internal);
      return out.response;
    });
  }
  app.get('/v1/models', authenticate(keyOptions), function listModels(c) {
    return c.json(modelList(config));
  });
  app.onError(function renderError(error: Error, c: Context<GatewayEnv>) {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') report(error);
    return errorResponse(gatewayError, c.req.path.endsWith('/v1/messages') ? 'anthropic' : 'openai');
  });
  return Object.assign(app, { serveNode });
}

/**
 * The upstream call wrapped in the policies. Without any, answers go straight from undici to the
 * client; with some, each answer crosses into a web Response for the policies and back.
 */
function withPolicies(
  policies: readonly GatewayPolicy[],
  upstream: NativeUpstreamCall,
): (call: GatewayCall) => Promise<UpstreamAnswer> {
  if (policies.length === 0) return upstream;
  const composed = composePolicies(policies, async (call) => responseOfAnswer(await upstream(call)));
  return async (call) => answerOfResponse(await composed(call));
}

/** GET /v1/models: every model an upstream lists (not '*'), then the aliases, in OpenAI's list shape. */
function modelList(config: GatewayConfig) {
  const data = new Map<string, { id: string; object: 'model'; created: number; owned_by: string }>();
  for (const u of config.upstreams) {
    for (const id of u.models) {
      if (id !== '*' && !data.has(id))
        data.set(id, { id, object: 'model', created: 0, owned_by: u.provider });
    }
  }
  for (const id of Object.keys(config.aliases)) {
    if (!data.has(id)) data.set(id, { id, object: 'model', created: 0, owned_by: 'greenprint-alias' });
  }
  return { object: 'list' as const, data: [...data.values()] };
}

/**
 * The cascade (outermost, so each of its steps gets retries) and the fallback policy from
 * `config.routes`. Answers a cascade throws away used energy too: each is metered as its own event,
 * tagged `cascade: discarded`, and told to the observers (budgets charge it) with the request's call.
 */
function routePolicies(
  config: GatewayConfig,
  estimator: Estimator,
  record: (footprint: Footprint, call: GatewayCall) => void,
  now: () => number,
): GatewayPolicy[] {
  if (config.routes.length === 0) return [];
  const resolveUpstream = upstreamResolver(config);
  return [
    cascadePolicy(config.routes, {
      resolveUpstream,
      onDiscarded({ call, parent, answer }) {
        const units = openAITokensMeter.fromResponse?.(answer, call);
        if (!units) return;
        const event = usageEventOf(call, units, gatewayEventId(now()), now());
        // Observers know the request by its live call: budgets charge the discarded answer to it.
        record(
          estimateFootprint(estimator, { ...event, tags: { ...event.tags, cascade: 'discarded' } }),
          parent,
        );
      },
    }),
    fallbackPolicy(config.routes, { resolveUpstream }),
  ];
}

function searchOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? '' : url.slice(query);
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
