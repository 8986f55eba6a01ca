import './styles.css';
import type { FilterOptions, Session } from '../../src/dashboard/apiTypes.js';
import { getJson, pageFilters } from './api.js';
import { disposeCharts, mountCharts, type PendingChart, takeCharts } from './charts.js';
import { h } from './dom.js';
import type { Page, PageContext } from './page.js';
import { methodologyPage } from './pages/methodology.js';
import { modelsPage } from './pages/models.js';
import { overviewPage } from './pages/overview.js';
import { pipelinesPage } from './pages/pipelines.js';
import { savingsPage } from './pages/savings.js';
import { schedulerPage } from './pages/scheduler.js';
import { initTheme, onThemeChange } from './theme.js';

/** The project `greenprint serve --demo` records into (src/demo). */
const DEMO_PROJECT = 'demo';

const PAGES: Page[] = [
  { path: 'overview', title: 'Overview', render: overviewPage },
  { path: 'pipelines', title: 'Pipelines', render: pipelinesPage },
  { path: 'savings', title: 'Savings', render: savingsPage },
  { path: 'scheduler', title: 'Scheduler', render: schedulerPage },
  { path: 'models', title: 'Models', render: modelsPage },
  { path: 'methodology', title: 'Methodology', render: methodologyPage },
];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLUListElement;
let session: Session = { role: 'read', project: null, open: true };
let filterOptions: Promise<FilterOptions> | undefined;
let rendering = 0;

function pageFor(pathname: string): Page | undefined {
  const m = /^\/(?:dashboard\/?)?([a-z-]*)\/?$/.exec(pathname);
  const name = m?.[1] || 'overview';
  return PAGES.find((p) => p.path === name);
}

function navigate(url: string): void {
  const target = new URL(url, location.href);
  const samePage = target.pathname === location.pathname;
  history.pushState(null, '', `${target.pathname}${target.search}${target.hash}`);
  void render(!samePage);
}

async function render(moveFocus: boolean): Promise<void> {
  const token = ++rendering;
  const page = pageFor(location.pathname);
  for (const a of nav.querySelectorAll('a')) {
    if (pageFor(new URL(a.href).pathname) === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.setAttribute('aria-busy', 'true');
  let content: HTMLElement;
  let charts: PendingChart[] = [];
  if (!page) {
    content = h(
      'div',
      { class: 'page' },
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, 'Choose a page from the navigation.'),
    );
  } else {
    document.title = `${page.title} · Greenprint dashboard`;
    filterOptions ??= getJson<FilterOptions>('filters');
    const ctx: PageContext = {
      session,
      filterOptions: () => filterOptions as Promise<FilterOptions>,
      params: pageFilters(),
      navigate,
    };
    try {
      takeCharts();
      content = await page.render(ctx);
      charts = takeCharts();
    } catch (error) {
      content = h(
        'div',
        { class: 'page' },
        h('h1', { tabindex: '-1' }, page.title),
        h('p', { class: 'error', role: 'alert' }, `Could not load this view: ${(error as Error).message}`),
      );
    }
  }
  if (token !== rendering) return;
  disposeCharts();
  main.replaceChildren(content);
  main.removeAttribute('aria-busy');
  mountCharts(charts);
  const hash = location.hash.slice(1);
  const target = hash ? document.getElementById(hash) : null;
  if (target) {
    target.setAttribute('tabindex', '-1');
    target.scrollIntoView();
    target.focus({ preventScroll: true });
  } else if (moveFocus) {
    (main.querySelector('h1') as HTMLElement | null)?.focus();
    window.scrollTo(0, 0);
  }
}

function rerender(): void {
  void render(false);
}

async function start(): Promise<void> {
  for (const p of PAGES)
    nav.append(h('li', {}, h('a', { href: `/dashboard/${p.path}`, 'data-nav': true }, p.title)));
  initTheme(document.getElementById('theme-toggle') as HTMLButtonElement);
  onThemeChange(rerender);
  // In-app links: no full reload; modifier clicks and downloads behave as usual.
  document.addEventListener('click', (e) => {
    const a = (e.target as Element).closest?.('a');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    if (a.hasAttribute('download') || a.target) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === '/' || url.pathname.startsWith('/dashboard')))
      return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    e.preventDefault();
    navigate(url.href);
  });
  window.addEventListener('popstate', () => void render(false));
  try {
    session = await getJson<Session>('session');
  } catch {
    // Open dashboards answer too; a failure here shows again on the page itself.
  }
  const who = document.getElementById('session') as HTMLElement;
  if (!session.open) {
    who.append(
      `${session.role === 'admin' ? 'Admin' : 'Read-only'} key${session.project ? ` · project ${session.project}` : ''}`,
      h(
        'form',
        { method: 'post', action: '/api/dashboard/logout', class: 'inline-form' },
        h('button', { type: 'submit', class: 'button-quiet' }, 'Sign out'),
      ),
    );
  }
  filterOptions ??= getJson<FilterOptions>('filters');
  void filterOptions.then(labelDemo, () => {});
  await render(false);
}

/** Says so above every page when the ledger holds the first-run demo (`greenprint serve --demo`). */
function labelDemo(options: FilterOptions): void {
  if (!options.dimensions.project.includes(DEMO_PROJECT)) return;
  const banner = h(
    'p',
    { class: 'demo-banner', role: 'note' },
    `Demo data: project "${DEMO_PROJECT}" was recorded by greenprint serve --demo — calls through the real gateway to a simulated provider, and one batch deferred on a sample grid trace. Choose another project to leave it out.`,
  );
  document.querySelector('.site-header')?.after(banner);
}

void start();
