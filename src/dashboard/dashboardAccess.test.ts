import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator, GreenprintError } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { hashApiKey } from '../gateway/index.js';
import { Ledger } from '../ledger/index.js';
import { sampleSignals } from '../scheduler/sampleSignals.js';
import { createApp } from '../server/app.js';
import type { Overview, Savings, SchedulerOverview, Session } from './apiTypes.js';
import { seedLedger } from './fixtures/seedLedger.js';
import { dashboardAccessFor, dashboardRoutes, SESSION_COOKIE } from './index.js';

const estimator = createEstimator(loadReferenceData());
const KEYS = {
  botReader: 'gp-dash-bot-reader',
  brandAdmin: 'gp-dash-brand-admin',
  admin: 'gp-dash-admin',
  reader: 'gp-dash-reader',
};

/** Every view and table of the API, as JSON and as each of its CSV tables. */
const VIEWS = ['filters', 'overview', 'pipelines', 'savings', 'scheduler', 'models?q=gpt-4o', 'methodology'];

/** Names only the other project's rows carry: project, pipeline, runs, batch and event ids. */
const OTHER_PROJECT = ['brand-campaign', 'product-launch', 'run-2024-0', 'batch_seed_finished', 'bc-r1-'];

describe('dashboard access with keys', () => {
  let dir: string;
  let ledger: Ledger;
  let app: Hono;
  const as = (key: string | undefined, path: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gp-dash-access-'));
    mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>spa</title>');
    writeFileSync(join(dir, 'web', 'assets', 'app.js'), 'console.log(1)');
    ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    const signals = sampleSignals();
    await seedLedger(ledger, estimator, signals);
    app = createApp({
      ledger,
      routes: [
        dashboardRoutes({
          ledger,
          estimator,
          signals,
          webRoot: join(dir, 'web'),
          access: {
            keys: [
              { sha256: hashApiKey(KEYS.botReader), role: 'read', project: 'support-bot' },
              { sha256: hashApiKey(KEYS.brandAdmin), role: 'admin', project: 'brand-campaign' },
              { sha256: hashApiKey(KEYS.admin), role: 'admin' },
              { sha256: hashApiKey(KEYS.reader), role: 'read' },
            ],
          },
        }),
      ],
    });
  });
  afterAll(async () => {
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the API, the pages and the assets without a valid key', async () => {
    for (const key of [undefined, 'not-a-key']) {
      const api = await as(key, '/api/dashboard/overview');
      expect(api.status).toBe(401);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const page = await as(key, '/dashboard/savings?project=x');
      expect(page.status).toBe(401);
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/api/dashboard/session">');
      expect(html).toContain('value="/dashboard/savings?project=x"');
      expect(html).not.toContain('<title>spa</title>');
      expect((await as(key, '/assets/app.js')).status).toBe(401);
      expect((await as(key, '/')).status).toBe(401);
    }
    // The rest of the server is not the dashboard's to guard.
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('a project-scoped key never sees another project’s rows, in any view or export', async () => {
    for (const view of VIEWS) {
      const json = await as(KEYS.botReader, `/api/dashboard/${view}`);
      expect(json.status, view).toBe(200);
      const text = await json.text();
      for (const name of OTHER_PROJECT) expect(text, `${view} leaks ${name}`).not.toContain(name);
      const tables = (JSON.parse(text) as { tables: string[] }).tables;
      for (const table of tables) {
        const sep = view.includes('?') ? '&' : '?';
        const csv = await as(KEYS.botReader, `/api/dashboard/${view}${sep}format=csv&table=${table}`);
        expect(csv.status, `${view} ${table}`).toBe(200);
        const body = await csv.text();
        for (const name of OTHER_PROJECT) expect(body, `${view}.${table} leaks ${name}`).not.toContain(name);
      }
    }
    // And the figures are that project's own, not a filtered-out remainder of everyone's.
    const scoped = (await (await as(KEYS.botReader, '/api/dashboard/overview')).json()) as Overview;
    const direct = (await (
      await as(KEYS.admin, '/api/dashboard/overview?project=support-bot')
    ).json()) as Overview;
    const everyone = (await (await as(KEYS.admin, '/api/dashboard/overview')).json()) as Overview;
    expect(scoped.filters.where.project).toBe('support-bot');
    expect(scoped.totals).toEqual(direct.totals);
    expect(scoped.totals.events).toBeLessThan(everyone.totals.events);
    const savings = (await (await as(KEYS.botReader, '/api/dashboard/savings')).json()) as Savings;
    expect(savings.levers.find((l) => l.lever === 'deferral')?.count).toBe(0);
    expect(savings.levers.find((l) => l.lever === 'cache')?.count).toBe(6);
    const batches = (await (
      await as(KEYS.botReader, '/api/dashboard/scheduler?batch=batch_seed_finished')
    ).json()) as SchedulerOverview;
    expect(batches.batches.map((b) => b.id)).toEqual(['batch_seed_queued']);
    expect(batches.focus).toBe('batch_seed_queued');
  });

  it('asking a scoped key for another project is refused, not widened', async () => {
    const r = await as(KEYS.botReader, '/api/dashboard/overview?project=brand-campaign');
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
      /scoped to project "support-bot"/,
    );
    expect((await as(KEYS.botReader, '/api/dashboard/overview?project=support-bot')).status).toBe(200);
    // A scoped admin is scoped all the same, including in the row-level export.
    const events = await as(KEYS.brandAdmin, '/api/dashboard/events?limit=100');
    expect(events.status).toBe(200);
    const rows = ((await events.json()) as { events: { project: string }[] }).events;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((e) => e.project))).toEqual(new Set(['brand-campaign']));
  });

  it('roles: read keys see every aggregate view, only admins the event-level export', async () => {
    expect((await as(KEYS.reader, '/api/dashboard/events')).status).toBe(403);
    expect((await as(KEYS.botReader, '/api/dashboard/events')).status).toBe(403);
    const all = await as(KEYS.admin, '/api/dashboard/events?limit=1000');
    expect(all.status).toBe(200);
    const projects = new Set(
      ((await all.json()) as { events: { project: string }[] }).events.map((e) => e.project),
    );
    expect(projects).toEqual(new Set(['brand-campaign', 'support-bot']));
    const session = (await (await as(KEYS.reader, '/api/dashboard/session')).json()) as Session;
    expect(session).toEqual({ role: 'read', project: null, open: false });
  });

  it('the login form sets an HttpOnly session cookie that then opens the pages, and logout clears it', async () => {
    const bad = await app.request('/api/dashboard/session', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: 'wrong', next: '/dashboard/models' }).toString(),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const login = await app.request('/api/dashboard/session', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: KEYS.botReader, next: '/dashboard/models' }).toString(),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/dashboard/models');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0] as string;
    const page = await app.request('/dashboard/models', { headers: { cookie: pair } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>spa</title>');
    const session = (await (
      await app.request('/api/dashboard/session', { headers: { cookie: pair } })
    ).json()) as Session;
    expect(session).toEqual({ role: 'read', project: 'support-bot', open: false });

    // Only same-site paths are followed after login.
    const offsite = await app.request('/api/dashboard/session', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: KEYS.botReader, next: '//evil.example/x' }).toString(),
    });
    expect(offsite.headers.get('location')).toBe('/');

    const logout = await app.request('/api/dashboard/logout', { method: 'POST', headers: { cookie: pair } });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
  });
});

describe('dashboard access configuration', () => {
  it('is open on loopback and keyed on any other address', () => {
    const keys = [{ sha256: hashApiKey('k'), role: 'read' as const }];
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1'])
      expect(dashboardAccessFor(host, keys)).toEqual({ open: true });
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com'])
      expect(dashboardAccessFor(host, keys)).toEqual({ keys });
  });

  it('rejects malformed keys at start-up, naming the entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-dash-cfg-'));
    const ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    try {
      const make = (keys: unknown) => dashboardRoutes({ ledger, estimator, access: { keys: keys as [] } });
      expect(() => make([{ sha256: 'abc', role: 'read' }])).toThrow(GreenprintError);
      expect(() => make([{ sha256: 'abc', role: 'read' }])).toThrow(/keys\[0\.sha256\].*64 lower-case hex/);
      expect(() => make([{ sha256: hashApiKey('k'), role: 'owner' }])).toThrow(/keys\[0\.role\]/);
      // No keys at all beyond loopback: everything is refused, and the refusal says what to configure.
      const app = make([]);
      const r = await app.request('/api/dashboard/overview', { headers: { authorization: 'Bearer x' } });
      expect(r.status).toBe(401);
      const page = await app.request('/');
      expect(await page.text()).toMatch(/no keys configured/);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('open access needs no key and reports itself as open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-dash-open-'));
    const ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    try {
      const app = dashboardRoutes({ ledger, estimator, access: { open: true } });
      const session = (await (await app.request('/api/dashboard/session')).json()) as Session;
      expect(session).toEqual({ role: 'admin', project: null, open: true });
      expect((await app.request('/api/dashboard/events')).status).toBe(200);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
