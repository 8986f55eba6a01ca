import { apiUrl } from './api.js';
import { h, uid } from './dom.js';

/**
 * Export links for a view: the chosen table as CSV, or the whole view as JSON, both with the filters
 * in force (the server sends them as attachments, so the browser downloads them).
 */
export function exportBar(view: string, tables: readonly string[], params: URLSearchParams): HTMLElement {
  const with_ = (extra: Record<string, string>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return apiUrl(view, p);
  };
  const csv = h(
    'a',
    { class: 'button', href: with_({ format: 'csv', table: tables[0] ?? '' }), download: '' },
    'Download CSV',
  );
  const group = h('div', { class: 'export', role: 'group', 'aria-label': `Export the ${view} view` });
  if (tables.length > 1) {
    const id = uid('export-table');
    const select = h('select', { id }, ...tables.map((t) => h('option', { value: t }, t)));
    select.addEventListener('change', () => {
      csv.href = with_({ format: 'csv', table: select.value });
    });
    group.append(h('label', { for: id }, 'Export table'), select);
  } else {
    group.append(h('span', { class: 'export-label' }, 'Export'));
  }
  group.append(
    csv,
    h('a', { class: 'button', href: with_({ format: 'json' }), download: '' }, 'Download JSON'),
  );
  return group;
}
