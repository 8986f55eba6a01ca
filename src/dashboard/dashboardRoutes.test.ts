import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, type TestDb } from '../../test/dbs.js';
import { createEstimator } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { Ledger, report } from '../ledger/index.js';
import { sampleSignals } from '../scheduler/sampleSignals.js';
import { createApp } from '../server/app.js';
import type {
  FilterOptions,
  Methodology,
  Models,
  Overview,
  Pipelines,
  Savings,
  SchedulerOverview,
} from './apiTypes.js';
import { type Seeded, seedLedger } from './fixtures/seedLedger.js';
import { dashboardRoutes } from './index.js';

const estimator = createEstimator(loadReferenceData());
const signals = sampleSignals();

/** Relative closeness, for sums of floats computed in a different order. */
function close(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-12, Math.abs(expected)));
}

describe.each(DIALECTS)('dashboard API on $name', ({ fresh }) => {
  let db: TestDb;
  let ledger: Ledger;
  let app: Hono;
  let seeded: Seeded;
  let webDir: string;
  let webParent: string;
  const get = async <T>(path: string): Promise<T> => {
    const r = await app.request(path);
    expect(r.status, `${path}: ${r.status}`).toBe(200);
    return (await r.json()) as T;
  };

  beforeAll(async () => {
    db = await fresh();
    ledger = await Ledger.open({ url: db.url, estimator });
    seeded = await seedLedger(ledger, estimator, signals);
    // web/ inside a folder that also holds a file the server must never hand out.
    webParent = mkdtempSync(join(tmpdir(), 'gp-web-'));
    webDir = join(webParent, 'web');
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webParent, 'secret.txt'), 'not for the web');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>spa</title>');
    writeFileSync(join(webDir, 'assets', 'app-1.js'), 'console.log(1)');
    app = createApp({
      ledger,
      routes: [
        dashboardRoutes({
          ledger,
          estimator,
          access: { open: true },
          signals,
          webRoot: pathToFileURL(`${webDir}/`),
        }),
      ],
    });
  });
  afterAll(async () => {
    await ledger?.close();
    await db?.drop();
    rmSync(webParent, { recursive: true, force: true });
  });

  it('overview totals are the ledger report’s, and a project filter narrows them', async () => {
    const all = await get<Overview>('/api/dashboard/overview');
    const direct = await report(ledger);
    expect(all.totals.events).toBe(direct.total.events);
    close(all.totals.carbonKg.mid, direct.total.carbonKg.mid);
    close(all.totals.energyKwh.high, direct.total.energyKwh.high);
    expect(all.totals.energyKwh.low).toBeLessThan(all.totals.energyKwh.mid);
    expect(all.bucket).toBe('day');
    expect(all.series.map((s) => s.period).slice(0, 3)).toEqual(['2024-03-12', '2024-04-09', '2024-05-14']);
    expect(all.top.projects.map((p) => p.project).sort()).toEqual(['brand-campaign', 'support-bot']);

    const bot = await get<Overview>('/api/dashboard/overview?project=support-bot');
    const botReport = await report(ledger, { where: { project: 'support-bot' } });
    expect(bot.filters.where).toEqual({ project: 'support-bot' });
    expect(bot.totals.events).toBe(botReport.total.events);
    close(bot.totals.carbonKg.mid, botReport.total.carbonKg.mid);
    expect(bot.totals.carbonKg.mid).toBeLessThan(all.totals.carbonKg.mid);
    expect(bot.top.projects.map((p) => p.project)).toEqual(['support-bot']);

    const period = await get<Overview>('/api/dashboard/overview?from=2024-04-01&to=2024-05-01&bucket=hour');
    expect(period.bucket).toBe('hour');
    expect(period.totals.events).toBe(14);
    expect(new Set(period.series.map((s) => s.period.slice(0, 10)))).toEqual(new Set(['2024-04-09']));
  });

  it('exports a view’s table as CSV and the whole view as a JSON download', async () => {
    const view = await get<Overview>('/api/dashboard/overview');
    expect(view.tables).toEqual(['series', 'totals', 'models', 'projects', 'stages']);
    const r = await app.request('/api/dashboard/overview?format=csv&table=models');
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toBe(
      'attachment; filename="greenprint-overview-models.csv"',
    );
    const lines = (await r.text()).trim().split('\r\n');
    const header = (lines[0] as string).split(',');
    expect(header.slice(0, 4)).toEqual(['model', 'provider', 'events', 'calls']);
    expect(header).toContain('carbonKg_mid');
    expect(lines).toHaveLength(1 + view.top.models.length);
    const gpt4o = lines.find((l) => l.startsWith('gpt-4o,')) as string;
    const row = Object.fromEntries(header.map((h, i) => [h, gpt4o.split(',')[i]]));
    const model = view.top.models.find((m) => m.model === 'gpt-4o');
    expect(Number(row.carbonKg_mid)).toBe(model?.carbonKg.mid);

    const json = await app.request('/api/dashboard/savings?format=json');
    expect(json.headers.get('content-disposition')).toBe('attachment; filename="greenprint-savings.json"');
    expect(((await json.json()) as Savings).levers).toHaveLength(5);
  });

  it('pipelines: the process map in stage order, with each run’s own totals, narrowed by period', async () => {
    const view = await get<Pipelines>('/api/dashboard/pipelines?project=brand-campaign');
    expect(view.pipelines).toHaveLength(1);
    const p = view.pipelines[0];
    expect(p?.stages.map((s) => s.stage)).toEqual([
      'brief',
      'script',
      'storyboard',
      'voice-over',
      'video',
      'captions',
    ]);
    close(p?.stages.reduce((a, s) => a + s.share, 0) ?? 0, 1, 1e-12);
    expect(p?.runList.map((r) => r.run)).toEqual(['run-2024-03', 'run-2024-04', 'run-2024-05']);
    // Each run's stages add up to the pipeline's carbon per run.
    const perRun = (p?.runList ?? []).map((r) => r.carbonG);
    close(perRun.reduce((a, b) => a + b, 0) / perRun.length, p?.carbonGPerRun ?? 0, 1e-9);
    const run = p?.runList[0];
    close(
      Object.values(run?.stages ?? {}).reduce((a, s) => a + s.carbonG, 0),
      run?.carbonG ?? 0,
      1e-12,
    );

    const april = await get<Pipelines>(
      '/api/dashboard/pipelines?project=brand-campaign&from=2024-04-01&to=2024-05-01',
    );
    expect(april.pipelines[0]?.runList.map((r) => r.run)).toEqual(['run-2024-04']);
    const staged = await get<Pipelines>('/api/dashboard/pipelines?stage=answer&model=gpt-4o');
    expect(staged.pipelines.map((x) => x.pipeline)).toEqual(['helpdesk']);
    expect(staged.notApplied).toEqual(['model']);
  });

  it('savings: each lever against its counterfactual, with the method named', async () => {
    const view = await get<Savings>('/api/dashboard/savings');
    const lever = (name: string) => view.levers.find((l) => l.lever === name);
    const cache = lever('cache');
    expect(cache?.count).toBe(seeded.cacheHits.count);
    close(cache?.avoided.energyWh ?? 0, seeded.cacheHits.avoidedEnergyWh, 1e-9);
    close(cache?.avoided.carbonG ?? 0, seeded.cacheHits.avoidedCo2eG, 1e-9);
    expect(cache?.method).toMatch(/avoidedEnergyWh/);

    // Routing: the same tokens on the model the client asked for, minus what was recorded.
    const asked = estimator.estimate({
      operation: 'chat',
      provider: 'openai',
      region: 'us-east-1',
      deployment: 'managed_api',
      requestModel: 'gpt-4o',
      inputTokens: 2400,
      outputTokens: 380,
      startTime: '2024-06-09T09:00:00.000Z',
    });
    const got = estimator.estimate({
      operation: 'chat',
      provider: 'openai',
      region: 'us-east-1',
      deployment: 'managed_api',
      requestModel: 'gpt-4o-mini',
      inputTokens: 2400,
      outputTokens: 380,
      startTime: '2024-06-09T09:00:00.000Z',
    });
    const routing = lever('routing');
    expect(routing?.count).toBe(1);
    close(routing?.counterfactual.energyWh ?? 0, asked.energyWh.mid, 1e-9);
    close(routing?.avoided.carbonG ?? 0, asked.carbonGCO2e.location.mid - got.carbonGCO2e.location.mid, 1e-9);
    expect(routing?.avoided.energyWh).toBeGreaterThan(0);

    const discarded = lever('cascade-discarded');
    expect(discarded?.count).toBe(1);
    expect(discarded?.avoided.energyWh).toBeLessThan(0);
    expect(discarded?.counterfactual.energyWh).toBe(0);

    expect(lever('limits')?.status).toBe('not_recorded');

    const deferral = lever('deferral');
    const r = seeded.finished.greenprint.realised;
    expect(deferral?.count).toBe(1);
    close(deferral?.avoided.carbonG ?? 0, (r?.run_now_gco2e ?? 0) - (r?.gco2e ?? 0), 1e-12);
    expect(deferral?.avoided.energyWh).toBe(0);
    const plan = seeded.queued.greenprint.plan;
    close(view.expectedDeferral.carbonG, (plan?.run_now_gco2e ?? 0) - (plan?.expected_gco2e ?? 0), 1e-12);
    close(
      view.total.carbonG,
      view.levers.reduce((a, l) => a + l.avoided.carbonG, 0),
      1e-12,
    );

    const brand = await get<Savings>('/api/dashboard/savings?project=brand-campaign');
    expect(brand.levers.find((l) => l.lever === 'cache')?.count).toBe(0);
    expect(brand.levers.find((l) => l.lever === 'deferral')?.count).toBe(1);
    const june3 = await get<Savings>('/api/dashboard/savings?from=2024-06-03&to=2024-06-04');
    expect(june3.levers.find((l) => l.lever === 'cache')?.count).toBe(1);
    const otherZone = await get<Savings>('/api/dashboard/savings?region=FR');
    expect(otherZone.levers.every((l) => l.count === 0)).toBe(true);
  });

  it('scheduler: batches with plan and realised, drawn on their zone’s intensity curve', async () => {
    const view = await get<SchedulerOverview>('/api/dashboard/scheduler');
    expect(view.batches.map((b) => b.id)).toEqual(['batch_seed_queued', 'batch_seed_finished']);
    expect(view.focus).toBe('batch_seed_queued');

    const focused = await get<SchedulerOverview>('/api/dashboard/scheduler?batch=batch_seed_finished');
    const b = focused.batches.find((x) => x.id === 'batch_seed_finished');
    expect(focused.curve?.zone).toBe('DE');
    expect(b?.realisedG).toBe(seeded.finished.greenprint.realised?.gco2e);
    const planned = Date.parse(b?.plannedStart ?? '');
    const at = (t: number) => focused.curve?.points.find((p) => p.t === t);
    // The curve is the signal the plan was made on: the planned hour is its lowest in the 24 h after submission.
    const submitted = Date.parse(b?.createdAt ?? '');
    const day = focused.curve?.points.filter((p) => p.t >= submitted && p.t < submitted + 86_400_000) ?? [];
    expect(day.length).toBe(48);
    const hourMean = (t: number) => ((at(t)?.actual ?? 0) + (at(t + 1_800_000)?.actual ?? 0)) / 2;
    for (const p of day.slice(0, -1)) expect(hourMean(planned)).toBeLessThanOrEqual(hourMean(p.t) + 1e-9);
    expect(at(submitted - 3_600_000)?.forecast).toBeNull();
    expect(at(submitted)?.forecast).toEqual(expect.any(Number));

    const gb = await get<SchedulerOverview>('/api/dashboard/scheduler?region=GB');
    expect(gb.batches.map((x) => x.id)).toEqual(['batch_seed_queued']);
    const csv = await (await app.request('/api/dashboard/scheduler?format=csv&table=curve')).text();
    expect(csv.split('\r\n')[0]).toBe('zone,time,actualGPerKwh,forecastGPerKwh');
  });

  it('models: the catalog with energy per functional unit from the estimator, and prices', async () => {
    const view = await get<Models>('/api/dashboard/models?modality=image');
    expect(view.models.every((m) => m.modality === 'image')).toBe(true);
    const dalle = view.models.find((m) => m.id === 'dall-e-3');
    expect(dalle?.unit).toMatch(/^image/);
    expect(dalle?.price?.perImage).toBeGreaterThan(0);
    close(
      dalle?.energyWh?.mid ?? 0,
      estimator.estimate({ requestModel: 'dall-e-3', provider: 'openai', images: { count: 1 } }).energyWh.mid,
    );
    const text = await get<Models>('/api/dashboard/models?q=gpt-4o-mini&modality=text');
    const mini = text.models.find((m) => m.id === 'gpt-4o-mini');
    close(
      mini?.energyWh?.mid ?? 0,
      estimator.estimate({ requestModel: 'gpt-4o-mini', provider: 'openai', outputTokens: 1000 }).energyWh
        .mid,
    );
    expect(mini?.unit).toBe('1,000 output tokens');
    expect(view.modalities).toContain('text');
  });

  it('methodology: the document’s text with section anchors the figures link to', async () => {
    const doc = await get<Methodology>('/api/dashboard/methodology');
    expect(doc.markdown.startsWith('# Greenprint methodology')).toBe(true);
    const ids = doc.sections.map((s) => s.id);
    for (const id of ['s-2', 's-5', 's-6', 's-7', 's-8', 's-10', 's-13b', 's-13c']) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    const md = await app.request('/api/dashboard/methodology?format=md');
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
  });

  it('filters: the values of each dimension and the period the ledger covers', async () => {
    const f = await get<FilterOptions>('/api/dashboard/filters');
    expect(f.dimensions.project).toEqual(['brand-campaign', 'support-bot']);
    expect(f.dimensions.stage).toContain('storyboard');
    expect(f.dimensions.region).toContain('FR');
    expect(f.period).toEqual({ first: '2024-03-12', last: '2024-06-09' });
  });

  it('refuses bad parameters with the reason', async () => {
    for (const [path, pattern] of [
      ['/api/dashboard/overview?from=yesterday', /from must be an ISO-8601 date/],
      ['/api/dashboard/overview?from=2024-05-01&to=2024-04-01', /must be before/],
      ['/api/dashboard/overview?format=xml', /format must be json or csv/],
      ['/api/dashboard/overview?format=csv&table=nope', /Use one of: series, totals/],
      ['/api/dashboard/overview?bucket=week', /bucket must be one of/],
      ['/api/dashboard/events?limit=0', /limit must be/],
    ] as const) {
      const r = await app.request(path);
      expect(r.status, path).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message).toMatch(pattern);
    }
  });

  it('serves the web build at / and deep links, and nothing outside it', async () => {
    for (const path of ['/', '/dashboard', '/dashboard/savings', '/dashboard/methodology']) {
      const r = await app.request(path);
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain('<title>spa</title>');
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    }
    const js = await app.request('/assets/app-1.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await app.request('/assets/missing.js')).status).toBe(404);
    for (const path of [
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/../../secret.txt',
    ]) {
      const r = await app.request(path);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('not for the web');
    }
    // The gateway's and the ledger's own routes are untouched by the mount.
    expect((await app.request('/healthz')).status).toBe(200);
  });
});

describe('dashboard without a web build', () => {
  it('answers / with a page that says how to build it, while the API works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-ledger-'));
    const ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    try {
      const app = dashboardRoutes({
        ledger,
        estimator,
        access: { open: true },
        webRoot: join(dir, 'no-web'),
      });
      const page = await app.request('/');
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/npm run build/);
      const overview = (await (await app.request('/api/dashboard/overview')).json()) as Overview;
      expect(overview.totals.events).toBe(0);
      expect(overview.series).toEqual([]);
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
