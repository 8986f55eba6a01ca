import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GreenprintError, HTTP_STATUS_BY_CODE } from '../core/index.js';
import type { Gateway, GatewayEnv } from '../gateway/index.js';
import {
  type GroupBy,
  inventory,
  type Ledger,
  processMap,
  report,
  type SciUnit,
  sci,
} from '../ledger/index.js';
import { otlpRoutes } from '../otlp/index.js';

/**
 * The HTTP surface of `greenprint serve`: the gateway's OpenAI- and Anthropic-compatible routes, the
 * OTLP/HTTP trace receiver (`POST /v1/traces`) feeding the ledger, and read-only ledger reports
 * (`GET /v1/ledger/report|inventory|sci|process`).
 */
export function createApp(options: {
  ledger: Ledger;
  gateway?: Hono<GatewayEnv>;
  /** Further route groups mounted at `/` (the Batch API, the dashboard). */
  routes?: readonly Hono[];
  /**
   * Key check for the OTLP receiver and the ledger API, given when the server listens beyond
   * loopback (the gateway's `authenticate`): a key's project is then forced onto every ledger query
   * and onto every event it sends.
   */
  auth?: MiddlewareHandler<GatewayEnv>;
}): Hono {
  const { ledger, auth } = options;
  const app = new Hono<GatewayEnv>() as unknown as Hono;
  if (auth) {
    app.use('/v1/traces', auth as unknown as MiddlewareHandler);
    app.use('/v1/ledger/*', auth as unknown as MiddlewareHandler);
  }
  // The OpenAI-compatible gateway (when upstreams are configured) owns /v1/* model routes.
  if (options.gateway) app.route('/', options.gateway as unknown as Hono);
  app.route(
    '/',
    otlpRoutes({
      record: (events) => ledger.record(events),
      // With keys, a key writes into its own project only.
      ...(auth
        ? { projectOf: (c) => (c as unknown as { var: GatewayEnv['Variables'] }).var.greenprint.project }
        : {}),
    }),
  );
  for (const routes of options.routes ?? []) app.route('/', routes);
  app.get('/healthz', (c) => c.json({ ok: true, ledger: ledger.dialect }));
  app.get('/v1/ledger/:view', async function ledgerView(c) {
    const q = c.req.query();
    // With keys, a key reads its own project only.
    if (auth) q.project = (c as unknown as { var: GatewayEnv['Variables'] }).var.greenprint.project;
    const query = {
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      by: (q.by ?? '').split(',').filter(Boolean) as GroupBy[],
      where: Object.fromEntries(
        (['project', 'pipeline', 'stage', 'model', 'provider', 'region'] as const)
          .filter((k) => q[k])
          .map((k) => [k, q[k]]),
      ),
    };
    switch (c.req.param('view')) {
      case 'report':
        return c.json(await report(ledger, query));
      case 'inventory':
        return c.json(await inventory(ledger, query));
      case 'sci':
        return c.json(await sci(ledger, (q.unit ?? 'call') as SciUnit, query));
      case 'process':
        return c.json(await processMap(ledger, query.where));
      default:
        throw new GreenprintError(
          'invalid_input',
          'Unknown ledger view. Use report, inventory, sci or process.',
        );
    }
  });
  app.onError(function renderError(error, c) {
    if (error instanceof GreenprintError) {
      return c.json(
        { error: { code: error.code, message: error.message } },
        HTTP_STATUS_BY_CODE[error.code] as ContentfulStatusCode,
      );
    }
    // The gateway's key check (GatewayError) answers in OpenAI's error shape.
    if (error instanceof HTTPException) return error.getResponse();
    return c.json(
      { error: { code: 'internal_error', message: 'Unexpected server error; see the server log.' } },
      500,
    );
  });
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } }, 404),
  );
  return app;
}

/**
 * The node:http request listener of `greenprint serve`: the gateway's proxied POST routes go straight
 * to `gateway.serveNode` (no WHATWG Request, Response or stream on the hot path); every other request
 * — OTLP, the ledger API, /healthz, GET /v1/models and the route groups mounted with `routes` — goes
 * through `app`, the Hono app of `createApp`. Middleware added to `app` therefore does not see the
 * proxied routes.
 */
export function requestListener(
  app: Hono,
  gateway?: Pick<Gateway, 'serveNode'>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const viaHono = getRequestListener(app.fetch);
  if (!gateway) return (req, res) => void viaHono(req, res);
  return function serve(req, res) {
    if (!gateway.serveNode(req, res)) void viaHono(req, res);
  };
}
