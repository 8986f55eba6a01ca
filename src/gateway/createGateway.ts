import { type Context, Hono } from 'hono';
import type { Estimator } from '../core/index.js';
import { newEventId } from '../ledger/index.js';
import { authenticate } from './authenticate.js';
import { buildCall } from './buildCall.js';
import { callUpstream } from './callUpstream.js';
import type { GatewayConfig } from './config.js';
import { ENDPOINTS } from './endpoints.js';
import { estimateFootprint, type Footprint, HEADER, usageEventOf } from './footprint.js';
import { errorResponse, toGatewayError } from './gatewayError.js';
import { openAITokensMeter } from './meters.js';
import { cascadePolicy, fallbackPolicy, upstreamResolver } from './policies/index.js';
import { composePolicies, type GatewayCall, type GatewayEnv, type GatewayPolicy } from './policy.js';
import { respond } from './respond.js';
import type { EventSink } from './sink.js';
import { upstreamFetch } from './upstreamFetch.js';

export interface GatewayOptions {
  config: GatewayConfig;
  estimator: Estimator;
  /** Receives each metered call's event once its upstream answer is complete; never awaited. */
  sink: EventSink;
  /** Used for every upstream request; default `upstreamFetch` (undici `request`, keep-alive). */
  fetch?: typeof fetch;
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

/**
 * The OpenAI- and Anthropic-compatible gateway: applications call it instead of the provider. Each
 * request is authenticated by a gateway key, routed by model to a configured upstream, forwarded
 * with the upstream's own key, and metered: the footprint goes back in `x-greenprint-*` headers (or a
 * closing SSE comment for streams) and the usage event to `sink`.
 *
 * Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/images/generations,
 * /v1/audio/speech, /v1/audio/transcriptions, /v1/messages (Anthropic); GET /v1/models.
 * Middleware is attached per route, so mounting the app with `route('/', gateway)` affects no other route.
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const { config, estimator, sink } = options;
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const report = options.onError ?? ((error: Error) => console.error(error));
  const fetchImpl = options.fetch ?? upstreamFetch;
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
  const upstream = callUpstream({ fetch: (input, init) => fetchImpl(input, init), keys });
  const send = composePolicies(
    [...(options.policies ?? []), ...routePolicies(config, estimator, record, now)],
    async (call) => asUpstreamAnswer(await upstream(call)),
  );
  const auth = authenticate({ keys: config.keys, requireKey: options.requireKey ?? false });

  const app = new Hono<GatewayEnv>();
  for (const endpoint of ENDPOINTS) {
    app.post(endpoint.path, auth, async function proxy(c) {
      const call = await buildCall(c, endpoint, { config, now });
      const upstream = await send(call);
      return respond(call, upstream, endpoint.meter, { estimator, record, now });
    });
  }
  app.get('/v1/models', auth, function listModels(c) {
    return c.json(modelList(config));
  });
  app.onError(function renderError(error: Error, c: Context<GatewayEnv>) {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') report(error);
    return errorResponse(gatewayError, c.req.path.endsWith('/v1/messages') ? 'anthropic' : 'openai');
  });
  return app;
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
        const event = usageEventOf(call, units, newEventId(now(), 'gw'), now());
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

/**
 * An upstream's answer as the policies see it: its own x-greenprint-* headers removed (an upstream that
 * is itself a Greenprint gateway must not speak for this one), and a failure marked with
 * `x-greenprint-upstream-status`, so refusals the policies make themselves (budget, limits) carry none.
 */
function asUpstreamAnswer(response: Response): Response {
  let found = false;
  for (const name of response.headers.keys()) if (name.startsWith('x-greenprint-')) found = true;
  if (!found && response.ok) return response;
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    if (!name.startsWith('x-greenprint-')) headers.append(name, value);
  }
  if (!response.ok) headers.set(HEADER.upstreamStatus, String(response.status));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
