import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, type Served, serveDemo, settled } from './browser.js';

// The first-run Done-when: what `greenprint serve --demo` records (a simulated provider behind the
// real gateway, the content pipeline, a deferred batch) gives every dashboard page data to draw.
const ARTIFACTS = join(ROOT, 'test-artifacts', 'demo');
const PAGES = ['overview', 'pipelines', 'savings', 'scheduler', 'models', 'methodology'] as const;

describe('dashboard on the first-run demo', () => {
  let dir: string;
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, as .ci/run does.`);
    ensureWebBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'gp-demo-browser-'));
    served = await serveDemo(join(dir, 'demo.db'), () => Date.parse('2026-11-26T12:00:00Z'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every page has data to draw, with no console errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      for (const name of PAGES) {
        expect((await page.goto(`${served.url}/dashboard/${name}`))?.status(), name).toBe(200);
        await settled(page);
        const charts = page.locator('.chart');
        if (name !== 'methodology') expect(await charts.count(), name).toBeGreaterThan(0);
        for (let i = 0; i < (await charts.count()); i++) {
          expect(await charts.nth(i).locator('svg path').count(), `${name} chart ${i}`).toBeGreaterThan(3);
        }
        await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      }
      // Labelled as a demo on every page, and showing the demo's own pipelines and deferred batch.
      expect(await page.locator('.demo-banner').innerText()).toMatch(/Demo data: project "demo"/);
      await page.goto(`${served.url}/dashboard/pipelines`);
      await settled(page);
      expect(await page.locator('main').innerText()).toMatch(/content-production/);
      await page.goto(`${served.url}/dashboard/scheduler`);
      await settled(page);
      expect(await page.locator('main').innerText()).toMatch(/catalogue-refresh|completed/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
