import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Page } from 'playwright-core';
import { createEstimator } from '../src/core/index.js';
import { dashboardRoutes } from '../src/dashboard/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { runDemo } from '../src/demo/index.js';
import { Ledger } from '../src/ledger/index.js';
import { createApp } from '../src/server/app.js';

// What the browser tests and `npm run screenshot` share: where Chromium is and how it is launched,
// building the SPA when needed, serving an app on a free port, and waiting for a page to settle.

/**
 * The browser globals the page functions below use. They run in Chromium, not here; the root
 * tsconfig has no DOM types, so they are declared for this module only.
 */
export interface PageElement {
  id: string;
  textContent: string | null;
  outerHTML: string;
  labels?: ArrayLike<unknown> | null;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  body: PageElement;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_BUILD = join(ROOT, 'dist', 'web');
export const CHROMIUM = process.env.GREENPRINT_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Newest modification time under `path` (files), ms. */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the SPA when `npm run build` has not, or when its sources changed since. */
export function ensureWebBuild(): void {
  const index = join(WEB_BUILD, 'index.html');
  const sources = Math.max(
    newest(join(ROOT, 'web')),
    newest(join(ROOT, 'docs', 'methodology.md')),
    newest(join(ROOT, 'src', 'dashboard', 'apiTypes.ts')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(ROOT, 'web', 'vite.config.ts'),
    ],
    { cwd: ROOT, stdio: 'pipe', timeout: 180_000 },
  );
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Hono): Promise<Served> {
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits until the router has put a page in and drawn every chart on it. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector('main h1') && !document.querySelector('main[aria-busy]'),
  );
  await page.waitForFunction(
    () => [...document.querySelectorAll('.chart')].every((c) => c.querySelector('svg path')),
    undefined,
    { timeout: 10_000 },
  );
}

/**
 * What `greenprint serve --demo` shows on first open: the demo workload recorded in a fresh SQLite
 * ledger at `path`, behind the dashboard (open access, as on loopback).
 */
export async function serveDemo(path: string, now?: () => number): Promise<Served & { ledger: Ledger }> {
  const ledger = await Ledger.open({ url: path, estimator: createEstimator(loadReferenceData()) });
  await runDemo({ ledger, ...(now ? { now } : {}) });
  const served = await listen(
    createApp({
      ledger,
      routes: [dashboardRoutes({ ledger, estimator: ledger.estimator, access: { open: true } })],
    }),
  );
  return {
    ledger,
    url: served.url,
    close: async () => {
      await served.close();
      await ledger.close();
    },
  };
}
