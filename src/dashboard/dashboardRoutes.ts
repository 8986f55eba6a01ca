import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Context, Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Estimator, GreenprintError, HTTP_STATUS_BY_CODE } from '../core/index.js';
import { type Ledger, report } from '../ledger/index.js';
import type { PlanningSignals } from '../scheduler/planningSignals.js';
import { sampleSignals } from '../scheduler/sampleSignals.js';
import { BUCKETS, type Bucket, FILTER_DIMENSIONS } from './apiTypes.js';
import {
  type DashboardAccess,
  type DashboardEnv,
  dashboardAccess,
  keyIndex,
  principalOf,
  requireRole,
  SESSION_COOKIE,
} from './dashboardAccess.js';
import { eventsView } from './eventsView.js';
import { parseFilters, reportQuery } from './filters.js';
import { loginPage } from './loginPage.js';
import { METHODOLOGY_CANDIDATES, methodologyView } from './methodologyView.js';
import { modelsView } from './modelsView.js';
import { overviewView } from './overviewView.js';
import { pipelinesView } from './pipelinesView.js';
import { savingsView } from './savingsView.js';
import { schedulerView } from './schedulerView.js';
import { DEFAULT_WEB_ROOT, notBuiltPage, SECURITY_HEADERS, webFile } from './serveWeb.js';
import { toCsv } from './toCsv.js';

export interface DashboardOptions {
  ledger: Ledger;
  /** Estimates the counterfactuals on the Savings page and the Models page's figures per unit. */
  estimator: Estimator;
  access: DashboardAccess;
  /** The built single-page app (`npm run build` writes `dist/web`); default that folder. */
  webRoot?: URL | string;
  /** Grid intensity drawn on the Scheduler page; default the shipped sample traces (as the Batch API's default). */
  signals?: PlanningSignals;
}

type Tables = Record<string, readonly object[]>;

const SESSION_MAX_AGE_S = 12 * 3600;

/**
 * The dashboard: a JSON API over the ledger under `/api/dashboard/*` (each view also as CSV with
 * `?format=csv&table=…`, or as a JSON download with `?format=json`), and the single-page app at `/`
 * with `/dashboard/*` deep links. Mount it with `createApp({ routes: [dashboardRoutes(…)] })`.
 *
 * Every view takes `from`, `to` (ISO-8601, end exclusive) and `project`, `pipeline`, `stage`,
 * `provider`, `model`, `region` where they apply; the response's `notApplied` lists given filters a
 * view could not use. Access: see `DashboardAccess`.
 */
export function dashboardRoutes(options: DashboardOptions): Hono {
  const { ledger, estimator } = options;
  const webRoot = toDirUrl(options.webRoot ?? DEFAULT_WEB_ROOT);
  const methodologyFrom = [...METHODOLOGY_CANDIDATES, new URL('methodology.md', webRoot)];
  // The document does not change while the server runs: read and parse it once (again after a failure).
  let methodologyRead: ReturnType<typeof methodologyView> | undefined;
  const methodologyDoc = () => {
    methodologyRead ??= methodologyView(methodologyFrom).catch((error: unknown) => {
      methodologyRead = undefined;
      throw error;
    });
    return methodologyRead;
  };
  const keys = keyIndex(options.access);
  let signals = options.signals;
  const app = new Hono<DashboardEnv>();

  // Login and logout come before the key check: they are how a browser gets past it.
  app.post('/api/dashboard/session', async function login(c) {
    const form = (c.req.header('content-type') ?? '').includes('application/x-www-form-urlencoded');
    const body = form
      ? await c.req.parseBody()
      : ((await c.req.json().catch(() => ({}))) as Record<string, unknown>);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    if (!keys) return form ? c.redirect(next, 303) : c.json({ role: 'admin', project: null, open: true });
    const principal = key ? principalOf(keys, key) : undefined;
    if (!principal) {
      if (form) return loginPage(c, 'That key is not one of this dashboard’s keys.', next);
      throw new HTTPException(401, { message: 'That key is not one of this dashboard’s keys.' });
    }
    setCookie(c, SESSION_COOKIE, key, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: SESSION_MAX_AGE_S,
      secure: isHttps(c),
    });
    return form
      ? c.redirect(next, 303)
      : c.json({ role: principal.role, project: principal.project ?? null, open: false });
  });
  app.post('/api/dashboard/logout', function logout(c) {
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/', 303);
  });

  const auth = dashboardAccess(options.access, loginPage);
  for (const path of ['/api/dashboard/*', '/', '/dashboard', '/dashboard/*', '/assets/*'])
    app.use(path, auth);

  const filtersOf = (c: Context<DashboardEnv>) => parseFilters(c.req.query(), c.var.principal);

  app.get('/api/dashboard/session', (c) => {
    const p = c.var.principal;
    return c.json({ role: p.role, project: p.project ?? null, open: p.open });
  });

  app.get('/api/dashboard/filters', async function filterOptions(c) {
    const filters = filtersOf(c);
    // Each dimension's values over the whole ledger, so picking one filter never hides another's
    // choices; a scoped key's project always applies.
    const scoped = { where: filters.where.project ? { project: filters.where.project } : {} };
    const values = await Promise.all(
      FILTER_DIMENSIONS.map(async (dim) => {
        const r = await report(ledger, reportQuery(scoped, [dim]));
        return [dim, [...new Set(r.rows.map((row) => row.group[dim] ?? ''))].filter(Boolean).sort()] as const;
      }),
    );
    const days = await report(ledger, reportQuery(scoped, ['day']));
    const json = {
      dimensions: Object.fromEntries(values),
      period: { first: days.rows[0]?.group.day ?? null, last: days.rows.at(-1)?.group.day ?? null },
    };
    return send(c, 'filters', json, {
      values: values.flatMap(([dimension, list]) => list.map((value) => ({ dimension, value }))),
    });
  });

  app.get('/api/dashboard/overview', async function overview(c) {
    const bucket = c.req.query('bucket');
    if (bucket && !BUCKETS.includes(bucket as Bucket)) {
      throw new GreenprintError(
        'invalid_input',
        `bucket must be one of ${BUCKETS.join(', ')}; got "${bucket}".`,
      );
    }
    const view = await overviewView(ledger, filtersOf(c), bucket as Bucket | undefined);
    return send(c, 'overview', view, {
      series: view.series,
      totals: [view.totals],
      models: view.top.models,
      projects: view.top.projects,
      stages: view.top.stages,
    });
  });

  app.get('/api/dashboard/pipelines', async function pipelines(c) {
    const view = await pipelinesView(ledger, filtersOf(c));
    return send(c, 'pipelines', view, {
      stages: view.pipelines.flatMap((p) =>
        p.stages.map((s, order) => ({ project: p.project, pipeline: p.pipeline, order: order + 1, ...s })),
      ),
      runs: view.pipelines.flatMap((p) =>
        p.runList.map(({ stages, ...r }) => ({
          project: p.project,
          pipeline: p.pipeline,
          ...r,
          ...Object.fromEntries(Object.entries(stages).map(([s, v]) => [`${s}_carbonG`, v.carbonG])),
        })),
      ),
    });
  });

  app.get('/api/dashboard/savings', async function savings(c) {
    const view = await savingsView(ledger, estimator, filtersOf(c));
    return send(c, 'savings', view, {
      levers: view.levers,
      series: view.series,
    });
  });

  app.get('/api/dashboard/scheduler', async function scheduler(c) {
    signals ??= sampleSignals();
    const view = await schedulerView(ledger, signals, filtersOf(c), c.req.query('batch'));
    return send(c, 'scheduler', view, {
      batches: view.batches,
      curve: (view.curve?.points ?? []).map((p) => ({
        zone: view.curve?.zone,
        time: new Date(p.t).toISOString(),
        actualGPerKwh: p.actual,
        forecastGPerKwh: p.forecast,
      })),
    });
  });

  app.get('/api/dashboard/models', function models(c) {
    const q = c.req.query();
    const view = modelsView(estimator, {
      ...(q.provider ? { provider: q.provider } : {}),
      ...(q.model ? { model: q.model } : {}),
      ...(q.modality ? { modality: q.modality } : {}),
      ...(q.q ? { q: q.q } : {}),
    });
    return send(c, 'models', view, { models: view.models });
  });

  app.get('/api/dashboard/methodology', async function methodology(c) {
    const view = await methodologyDoc();
    if (c.req.query('format') === 'md') {
      return c.body(view.markdown, 200, { 'content-type': 'text/markdown; charset=utf-8' });
    }
    return send(c, 'methodology', view, { sections: view.sections });
  });

  app.get('/api/dashboard/events', async function events(c) {
    requireRole(c.var.principal, 'admin');
    const limit = Number(c.req.query('limit') ?? 500);
    const view = await eventsView(ledger, filtersOf(c), limit);
    return send(c, 'events', view, { events: view.events });
  });

  // The single-page app: assets by path, every page route answered with index.html.
  app.get('/assets/*', async (c) => (await webFile(webRoot, c.req.path)) ?? c.notFound());
  const page = async () => (await webFile(webRoot, '/index.html')) ?? notBuiltPage(webRoot);
  app.get('/', page);
  app.get('/dashboard', page);
  app.get('/dashboard/*', page);

  app.onError(function renderDashboardError(error, c) {
    if (error instanceof HTTPException) {
      const code = error.status === 401 ? 'unauthorized' : error.status === 403 ? 'forbidden' : 'http_error';
      return c.json({ error: { code, message: error.message } }, error.status);
    }
    if (error instanceof GreenprintError) {
      return c.json(
        { error: { code: error.code, message: error.message } },
        HTTP_STATUS_BY_CODE[error.code] as ContentfulStatusCode,
      );
    }
    console.error(error);
    return c.json(
      { error: { code: 'internal_error', message: 'Unexpected server error; see the server log.' } },
      500,
    );
  });
  return app as unknown as Hono;
}

/**
 * A view as JSON (inline, or as a download with `format=json`) or one of its tables as CSV
 * (`format=csv&table=…`, default the first). The JSON lists the table names under `tables`.
 */
function send(c: Context, name: string, json: object, tables: Tables): Response {
  const format = c.req.query('format') ?? '';
  const names = Object.keys(tables);
  if (format === 'csv') {
    const table = c.req.query('table') ?? names[0] ?? '';
    const rows = tables[table];
    if (!rows) {
      throw new GreenprintError(
        'invalid_input',
        `No table "${table}" in the ${name} view. Use one of: ${names.join(', ')}.`,
      );
    }
    return new Response(toCsv(rows), {
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="greenprint-${name}-${table}.csv"`,
      },
    });
  }
  if (format !== '' && format !== 'json') {
    throw new GreenprintError('invalid_input', `format must be json or csv; got "${format}".`);
  }
  const body = { ...json, tables: names };
  if (format === 'json') {
    return new Response(JSON.stringify(body, null, 2), {
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="greenprint-${name}.json"`,
      },
    });
  }
  return c.json(body);
}

/** A same-site path to go to after login; anything else goes to the dashboard's start page. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[^\\\s]*$/.test(next) ? next : '/';
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

function toDirUrl(root: URL | string): URL {
  const url = typeof root === 'string' ? pathToFileURL(resolve(root)) : root;
  return url.href.endsWith('/') ? url : new URL(`${url.href}/`);
}
