import type { FilterOptions, Session } from '../../src/dashboard/apiTypes.js';
import { FILTER_KEYS } from './api.js';
import { h, uid } from './dom.js';

const LABELS: Record<string, string> = {
  project: 'Project',
  pipeline: 'Pipeline',
  stage: 'Stage',
  provider: 'Provider',
  model: 'Model',
  region: 'Region (grid zone)',
};

/** Replaces the page URL's filters with `next` (others kept) and tells the router. */
export function setFilters(next: URLSearchParams, navigate: (url: string) => void): void {
  const params = new URLSearchParams(location.search);
  for (const k of FILTER_KEYS) params.delete(k);
  for (const [k, v] of next) if (v) params.set(k, v);
  const q = params.toString();
  navigate(`${location.pathname}${q ? `?${q}` : ''}`);
}

/**
 * The filters form: period (from, to: end exclusive) and one list per dimension. Changing a field
 * applies it at once (the URL holds the filters, so views can be linked and the back button works).
 * A project-scoped key's project is fixed.
 */
export function filtersBar(
  options: FilterOptions,
  session: Session,
  navigate: (url: string) => void,
  applies: readonly string[] = FILTER_KEYS,
): HTMLElement {
  const current = new URLSearchParams(location.search);
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filters' });
  const read = () => {
    const next = new URLSearchParams();
    for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]')) {
      if (el.value && !el.disabled) next.set(el.name, el.value);
    }
    return next;
  };
  const apply = () => setFilters(read(), navigate);
  form.addEventListener('change', apply);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });

  const field = (name: string, label: string, control: HTMLElement) => {
    const id = uid(`filter-${name}`);
    control.id = id;
    const off = !applies.includes(name);
    if (off) control.setAttribute('aria-describedby', 'filters-note');
    return h('div', { class: `field${off ? ' field-off' : ''}` }, h('label', { for: id }, label), control);
  };
  form.append(
    field(
      'from',
      'From',
      h('input', {
        type: 'date',
        name: 'from',
        value: current.get('from') ?? '',
        min: options.period.first ?? undefined,
        max: options.period.last ?? undefined,
      }),
    ),
    field(
      'to',
      'To (exclusive)',
      h('input', {
        type: 'date',
        name: 'to',
        value: current.get('to') ?? '',
        min: options.period.first ?? undefined,
      }),
    ),
  );
  for (const dim of ['project', 'pipeline', 'stage', 'provider', 'model', 'region'] as const) {
    const fixed = dim === 'project' && session.project !== null;
    const value = fixed ? (session.project as string) : (current.get(dim) ?? '');
    const values = options.dimensions[dim] ?? [];
    const select = h(
      'select',
      { name: dim, disabled: fixed },
      h('option', { value: '' }, `All`),
      ...(values.includes(value) || !value ? values : [value, ...values]).map((v) =>
        h('option', { value: v, selected: v === value }, v),
      ),
    );
    form.append(field(dim, LABELS[dim] ?? dim, select));
  }
  const reset = h('button', { type: 'button', class: 'button-quiet' }, 'Clear filters');
  reset.addEventListener('click', () => setFilters(new URLSearchParams(), navigate));
  form.append(h('div', { class: 'field field-actions' }, reset));
  return form;
}
