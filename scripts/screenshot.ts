/**
 * npm run screenshot — the README's picture of the Overview page on the first-run demo data
 * (`greenprint serve --demo`), taken with the system Chromium: docs/images/overview.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, serveDemo, settled } from '../test/browser.js';

const out = join(ROOT, 'docs', 'images', 'overview.png');
ensureWebBuild();
const dir = mkdtempSync(join(tmpdir(), 'gp-screenshot-'));
const served = await serveDemo(join(dir, 'demo.db'));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${served.url}/dashboard/overview`);
  await settled(page);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await served.close();
  rmSync(dir, { recursive: true, force: true });
}
