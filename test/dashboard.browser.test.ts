import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/core/index.js';
import type { Overview } from '../src/dashboard/apiTypes.js';
import { type Seeded, seedLedger } from '../src/dashboard/fixtures/seedLedger.js';
import { type DashboardAccess, dashboardRoutes } from '../src/dashboard/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { hashApiKey } from '../src/gateway/index.js';
import { Ledger } from '../src/ledger/index.js';
import { sampleSignals } from '../src/scheduler/sampleSignals.js';
import { createApp } from '../src/server/app.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureWebBuild,
  listen,
  type PageElement,
  ROOT,
  type Served,
  settled,
} from './browser.js';

/**
 * The page's globals, for the functions this file runs in Chromium. Declared here, not imported:
 * an imported name would be rewritten to a module reference that does not exist in the page.
 */
declare const document: {
  activeElement: PageElement | null;
  body: PageElement;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare function getComputedStyle(el: PageElement): { backgroundColor: string };

// The dashboard issue's browser tests: the built SPA served by createApp + dashboardRoutes over a
// freshly seeded SQLite ledger, driven through playwright-core in the system Chromium.

const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');
const PAGES = ['overview', 'pipelines', 'savings', 'scheduler', 'models', 'methodology'] as const;
/** Charts each page draws from the seeded ledger (every one must render with data). */
const CHARTS: Record<(typeof PAGES)[number], number> = {
  overview: 7,
  pipelines: 4,
  savings: 2,
  scheduler: 1,
  models: 1,
  methodology: 0,
};
const BOT_READER = 'gp-browser-bot-reader';

/** "2.85 g CO₂e" → 0.00285 (kg). */
function kgOf(text: string): number {
  const m = /^([\d.,]+)\s*(mg|g|kg|t) CO₂e$/.exec(text.trim());
  if (!m) throw new Error(`not a carbon figure: "${text}"`);
  const factor = { mg: 1e-6, g: 1e-3, kg: 1, t: 1e3 }[m[2] as 'mg' | 'g' | 'kg' | 't'];
  return Number((m[1] as string).replace(/,/g, '')) * factor;
}

describe('dashboard in a browser', () => {
  let dir: string;
  let ledger: Ledger;
  let seeded: Seeded;
  let open: Served;
  let keyed: Served;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) or set GREENPRINT_CHROMIUM.`,
      );
    }
    ensureWebBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gp-dash-browser-'));
    const estimator = createEstimator(loadReferenceData());
    ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    const signals = sampleSignals();
    seeded = await seedLedger(ledger, estimator, signals);
    const app = (access: DashboardAccess) =>
      createApp({ ledger, routes: [dashboardRoutes({ ledger, estimator, access, signals })] });
    open = await listen(app({ open: true }));
    keyed = await listen(
      app({ keys: [{ sha256: hashApiKey(BOT_READER), role: 'read', project: 'support-bot' }] }),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await open?.close();
    await keyed?.close();
    await ledger?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function newPage(options: { colorScheme?: 'light' | 'dark' } = {}) {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      colorScheme: options.colorScheme ?? 'light',
      acceptDownloads: true,
    });
    const page = await context.newPage();
    // Fail at the step that hangs, well within the test's own timeout.
    page.setDefaultTimeout(8_000);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors, close: () => context.close() };
  }

  it('every page loads without console errors and draws its charts from the data; a screenshot of each is kept', async () => {
    const { page, errors, close } = await newPage();
    try {
      for (const name of PAGES) {
        const response = await page.goto(`${open.url}/dashboard/${name}`);
        expect(response?.status(), name).toBe(200);
        await settled(page);
        const charts = page.locator('.chart');
        expect(await charts.count(), name).toBe(CHARTS[name]);
        for (let i = 0; i < CHARTS[name]; i++) {
          const chart = charts.nth(i);
          // Drawn, with marks, and described for screen readers.
          expect(await chart.locator('svg path').count(), `${name} chart ${i}`).toBeGreaterThan(3);
          expect((await chart.getAttribute('aria-label'))?.length ?? 0).toBeGreaterThan(20);
          const box = await chart.boundingBox();
          expect(box?.width ?? 0).toBeGreaterThan(200);
          // Each figure names the methodology section it comes from.
          const link = page.locator('figure').nth(i).locator('a.method-link');
          expect(await link.getAttribute('href')).toMatch(/^\/dashboard\/methodology#s-\d+[a-z]?$/);
        }
        await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      }
      expect(errors).toEqual([]);
      // The figures are the seeded ledger's: three runs of the content pipeline, the DE batch's saving.
      await page.goto(`${open.url}/dashboard/pipelines?project=brand-campaign`);
      await settled(page);
      expect(await page.locator('figure').nth(1).locator('tbody tr').count()).toBe(3);
      await page.goto(`${open.url}/dashboard/savings`);
      await settled(page);
      const realised = seeded.finished.greenprint.realised;
      const deferral = await page.locator('[data-lever-carbon="deferral"]').textContent();
      expect(kgOf(deferral ?? '') * 1000).toBeCloseTo(
        (realised?.run_now_gco2e ?? 0) - (realised?.gco2e ?? 0),
        1,
      );
      for (const file of PAGES) expect(existsSync(join(ARTIFACTS, `${file}.png`))).toBe(true);
    } finally {
      await close();
    }
  });

  it('a filter changes the numbers to the filtered ledger’s', async () => {
    const { page, errors, close } = await newPage();
    try {
      await page.goto(`${open.url}/dashboard/overview`);
      await settled(page);
      const kpi = page.locator('[data-kpi="CO₂e, location-based"]');
      const before = (await kpi.textContent()) ?? '';
      await page.getByLabel('Project', { exact: true }).selectOption('support-bot');
      await page.waitForURL(/project=support-bot/);
      await page.waitForFunction((old) => {
        const el = document.querySelector('[data-kpi="CO₂e, location-based"]');
        return el && el.textContent !== old && !document.querySelector('main[aria-busy]');
      }, before);
      await settled(page);
      const after = (await kpi.textContent()) ?? '';
      const api = (await (
        await page.request.get(`${open.url}/api/dashboard/overview?project=support-bot`)
      ).json()) as Overview;
      const all = (await (await page.request.get(`${open.url}/api/dashboard/overview`)).json()) as Overview;
      // Three significant figures of the filtered total, not of everyone's.
      expect(Math.abs(kgOf(after) - api.totals.carbonKg.mid) / api.totals.carbonKg.mid).toBeLessThan(0.006);
      expect(Math.abs(kgOf(before) - all.totals.carbonKg.mid) / all.totals.carbonKg.mid).toBeLessThan(0.006);
      expect(kgOf(after)).toBeLessThan(kgOf(before));
      const projects = await page
        .locator('figure', { hasText: 'Top projects' })
        .locator('tbody th')
        .allTextContents();
      expect(projects).toEqual(['support-bot']);
      // The back button returns to the unfiltered view.
      await page.goBack();
      await page.waitForFunction(
        (old) => document.querySelector('[data-kpi="CO₂e, location-based"]')?.textContent === old,
        before,
      );
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('exports download the view: a table as CSV, the whole view as JSON, with the filters in force', async () => {
    const { page, errors, close } = await newPage();
    try {
      await page.goto(`${open.url}/dashboard/overview?project=support-bot`);
      await settled(page);
      await page.getByLabel('Export table').selectOption('projects');
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download CSV' }).click(),
      ]);
      expect(csv.suggestedFilename()).toBe('greenprint-overview-projects.csv');
      const lines = readFileSync(await csv.path(), 'utf8')
        .trim()
        .split('\r\n');
      expect(lines[0]?.split(',').slice(0, 3)).toEqual(['project', 'events', 'calls']);
      expect(lines).toHaveLength(2);
      expect(lines[1]?.startsWith('support-bot,14,14,')).toBe(true);

      await page.goto(`${open.url}/dashboard/savings`);
      await settled(page);
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download JSON' }).click(),
      ]);
      expect(json.suggestedFilename()).toBe('greenprint-savings.json');
      const body = JSON.parse(readFileSync(await json.path(), 'utf8')) as {
        levers: { lever: string; count: number }[];
      };
      expect(body.levers.find((l) => l.lever === 'cache')?.count).toBe(seeded.cacheHits.count);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('is usable from the keyboard, with landmarks and labelled controls, and figures lead to their method', async () => {
    const { page, errors, close } = await newPage();
    try {
      await page.goto(`${open.url}/dashboard/overview`);
      await settled(page);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      for (const role of ['banner', 'navigation', 'main', 'contentinfo', 'search'] as const) {
        expect(await page.getByRole(role).count(), role).toBeGreaterThan(0);
      }
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('main input, main select, main button')]
          .filter((el) => {
            const labels = el.labels;
            return (
              !(labels && labels.length > 0) && !el.getAttribute('aria-label') && !el.textContent?.trim()
            );
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unlabelled).toEqual([]);
      expect(
        await page.getByRole('link', { name: 'Overview', exact: true }).getAttribute('aria-current'),
      ).toBe('page');

      // Keyboard focus on a figure's "Method" link, Enter: the methodology page at that section.
      const method = page.getByRole('link', { name: 'Method: §6 Carbon' }).first();
      await method.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/dashboard\/methodology#s-6$/);
      await settled(page);
      const heading = page.locator('#s-6');
      expect(await heading.textContent()).toBe('6. Carbon');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('s-6');
      expect(await heading.isVisible()).toBe(true);
      expect(
        await page.getByRole('link', { name: 'Methodology', exact: true }).getAttribute('aria-current'),
      ).toBe('page');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('follows the system’s dark preference, and the toggle switches and remembers the theme', async () => {
    const { page, errors, close } = await newPage({ colorScheme: 'dark' });
    try {
      await page.goto(`${open.url}/dashboard/overview`);
      await settled(page);
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(await background()).toBe('rgb(17, 20, 18)');
      await page.screenshot({ path: join(ARTIFACTS, 'overview-dark.png'), fullPage: true });
      const toggle = page.getByRole('button', { name: 'Switch to the light theme' });
      await toggle.click();
      expect(await background()).toBe('rgb(245, 246, 244)');
      await page.reload();
      await settled(page);
      expect(await background()).toBe('rgb(245, 246, 244)');
      expect(
        await page.getByRole('button', { name: 'Switch to the dark theme' }).getAttribute('aria-pressed'),
      ).toBe('false');
      // Charts are redrawn in the theme's colours, still with their data.
      expect(await page.locator('.chart svg path').count()).toBeGreaterThan(20);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('beyond loopback: the login form, then a project-scoped key sees its project only', async () => {
    const { page, close } = await newPage();
    try {
      const first = await page.goto(`${keyed.url}/dashboard/overview`);
      expect(first?.status()).toBe(401);
      await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
      await page.getByLabel('Dashboard key').fill('wrong-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/not one of this dashboard/);
      await page.getByLabel('Dashboard key').fill(BOT_READER);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${keyed.url}/dashboard/overview`);
      await settled(page);
      const project = page.getByLabel('Project', { exact: true });
      expect(await project.isDisabled()).toBe(true);
      expect(await project.inputValue()).toBe('support-bot');
      expect(await page.locator('#session').textContent()).toMatch(/Read-only key · project support-bot/);
      for (const name of ['overview', 'pipelines', 'savings', 'scheduler']) {
        await page.goto(`${keyed.url}/dashboard/${name}`);
        await settled(page);
        expect(await page.locator('main').textContent(), name).not.toMatch(
          /brand-campaign|product-launch|batch_seed_finished/,
        );
      }
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${keyed.url}/`);
      expect(await page.getByLabel('Dashboard key').isVisible()).toBe(true);
    } finally {
      await close();
    }
  });
});
