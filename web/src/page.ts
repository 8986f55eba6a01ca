import type { FilterOptions, Session } from '../../src/dashboard/apiTypes.js';
import { methodLink } from './charts.js';
import { h } from './dom.js';

/** What every page gets from the router. */
export interface PageContext {
  session: Session;
  /** Filter values for the filters bar (loaded once per visit). */
  filterOptions: () => Promise<FilterOptions>;
  /** The view's filters, from the page URL. */
  params: URLSearchParams;
  /** Goes to a URL inside the app (pushState + render). */
  navigate: (url: string) => void;
}

export interface Page {
  path: string;
  title: string;
  render: (ctx: PageContext) => Promise<HTMLElement>;
}

/** The page's heading and one-line purpose. */
export function pageHead(title: string, intro: string): HTMLElement[] {
  return [h('h1', { tabindex: '-1' }, title), h('p', { class: 'intro' }, intro)];
}

/** Says which of the given filters this view could not use, instead of silently ignoring them. */
export function notAppliedNote(list: readonly string[]): HTMLElement {
  return h(
    'p',
    { class: 'note', id: 'filters-note', role: list.length ? 'status' : null },
    list.length ? `Not applied on this page: ${list.join(', ')}.` : '',
  );
}

/** A headline figure: the central value, its range, and where its method is written down. */
export function kpi(label: string, value: string, detail: string, section?: [string, string]): HTMLElement {
  return h(
    'div',
    { class: 'kpi' },
    h('h3', { class: 'kpi-label' }, label),
    h('p', { class: 'kpi-value', 'data-kpi': label }, value),
    h('p', { class: 'kpi-detail' }, detail),
    section ? methodLink(section[0], section[1]) : null,
  );
}

export function section(title: string, ...children: (Node | null)[]): HTMLElement {
  const id = `sec-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'section', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}
