import type { CatalogModel, Models } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { axis, figure, labelledBars } from '../charts.js';
import { h, uid } from '../dom.js';
import { exportBar } from '../exportBar.js';
import { num, usd } from '../format.js';
import { empty, type PageContext, pageHead, section } from '../page.js';

const PAGE_KEYS = ['q', 'modality', 'provider', 'compare'] as const;
const PAGE_SIZE = 40;

function params(): URLSearchParams {
  const here = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const k of PAGE_KEYS) {
    const v = here.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

function paramsText(r: CatalogModel['totalParamsB']): string {
  return r.low === r.high ? `${num(r.mid)} B` : `${num(r.low)}–${num(r.high)} B`;
}

function priceText(m: CatalogModel): string {
  const p = m.price;
  if (!p) return '–';
  const parts = [
    p.inputPerMTok !== undefined ? `in $${num(p.inputPerMTok)}/M tok` : '',
    p.outputPerMTok !== undefined ? `out $${num(p.outputPerMTok)}/M tok` : '',
    p.perImage !== undefined ? `$${num(p.perImage)}/image` : '',
    p.perMinuteAudio !== undefined ? `$${num(p.perMinuteAudio)}/min` : '',
    p.perMCharacters !== undefined ? `$${num(p.perMCharacters)}/M chars` : '',
    p.perVideoSecond !== undefined ? `$${num(p.perVideoSecond)}/s video` : '',
  ].filter(Boolean);
  return parts.join(', ') || '–';
}

export async function modelsPage(ctx: PageContext): Promise<HTMLElement> {
  const p = params();
  const api = new URLSearchParams(p);
  api.delete('compare');
  const view = await getJson<Models>('models', api);
  const compare = new Set((p.get('compare') ?? '').split(',').filter(Boolean));

  const go = (next: URLSearchParams) => {
    const q = next.toString();
    ctx.navigate(`${location.pathname}${q ? `?${q}` : ''}`);
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the catalog' });
  const qId = uid('models-q');
  const modalityId = uid('models-modality');
  const providerId = uid('models-provider');
  form.append(
    h(
      'div',
      { class: 'field' },
      h('label', { for: qId }, 'Model id contains'),
      h('input', { id: qId, name: 'q', type: 'search', value: p.get('q') ?? '' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: modalityId }, 'Modality'),
      h(
        'select',
        { id: modalityId, name: 'modality' },
        h('option', { value: '' }, 'All'),
        ...view.modalities.map((m) => h('option', { value: m, selected: m === p.get('modality') }, m)),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: providerId }, 'Provider'),
      h(
        'select',
        { id: providerId, name: 'provider' },
        h('option', { value: '' }, 'All'),
        ...view.providers.map((m) => h('option', { value: m, selected: m === p.get('provider') }, m)),
      ),
    ),
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'button' }, 'Filter')),
  );
  const read = () => {
    const next = new URLSearchParams();
    for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]'))
      if (el.value) next.set(el.name, el.value);
    if (compare.size) next.set('compare', [...compare].join(','));
    return next;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(read());
  });
  form.addEventListener('change', (e) => {
    if ((e.target as HTMLElement).tagName === 'SELECT') go(read());
  });

  const root = h(
    'div',
    { class: 'page' },
    ...pageHead(
      'Models',
      'The catalog: parameters, facility energy per functional unit (1,000 output tokens, an image, a second of video …) and list price.',
    ),
    form,
    h('div', { class: 'toolbar' }, exportBar('models', view.tables ?? [], api)),
  );

  const estimated = view.models.filter((m) => m.energyWh !== null);
  const chosen = compare.size
    ? view.models.filter((m) => compare.has(`${m.provider}/${m.id}`))
    : (() => {
        const modality = p.get('modality') ?? 'text';
        return estimated
          .filter((m) => m.modality === modality)
          .sort((a, b) => (b.energyWh?.mid ?? 0) - (a.energyWh?.mid ?? 0))
          .slice(0, 20);
      })();
  const units = [...new Set(chosen.map((m) => m.unit))];
  if (chosen.length) {
    const mids = chosen.map((m) => m.energyWh?.mid ?? 0).filter((x) => x > 0);
    const log = mids.length > 1 && Math.max(...mids) / Math.min(...mids) > 50;
    root.append(
      section(
        compare.size
          ? 'Compare the selected models'
          : `Largest ${chosen.length} ${p.get('modality') ?? 'text'} models by energy`,
        units.length > 1
          ? h(
              'p',
              { class: 'note', role: 'status' },
              `These models have different functional units (${units.join('; ')}); compare within one modality.`,
            )
          : null,
        figure({
          title: `Energy per ${units.join(' / ')} (Wh, facility)${log ? ', log scale' : ''}`,
          section: chosen.every((m) => m.modality === 'image' || m.modality === 'video') ? '4' : '2',
          sectionName: chosen.every((m) => m.modality === 'image' || m.modality === 'video')
            ? 'Image and video diffusion'
            : 'Text models',
          summary: `${chosen.length} models; highest ${chosen[0]?.id} at ${num(chosen[0]?.energyWh?.mid ?? 0)} Wh per ${chosen[0]?.unit}.`,
          height: Math.max(200, 30 * chosen.length + 48),
          option: () => ({
            ...labelledBars(
              [...chosen].reverse().map((m) => m.id),
              260,
            ),
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
            xAxis: axis({ type: log ? 'log' : 'value', name: 'Wh' }),
            series: [
              {
                name: 'Energy (mid, Wh)',
                type: 'bar',
                data: [...chosen].reverse().map((m) => Number((m.energyWh?.mid ?? 0).toPrecision(4))),
              },
            ],
          }),
          data: {
            headers: ['Model', 'Unit', 'Energy mid (Wh)', 'Low–high (Wh)'],
            rows: chosen.map((m) => [
              m.id,
              m.unit,
              num(m.energyWh?.mid ?? 0),
              m.energyWh ? `${num(m.energyWh.low)}–${num(m.energyWh.high)}` : '–',
            ]),
          },
        }),
      ),
    );
  }

  if (view.models.length === 0) {
    root.append(empty('No catalog model matches.'));
    return root;
  }
  const toggle = (key: string, on: boolean) => {
    if (on) compare.add(key);
    else compare.delete(key);
    go(read());
  };
  const row = (m: CatalogModel) => {
    const key = `${m.provider}/${m.id}`;
    const box = h('input', {
      type: 'checkbox',
      checked: compare.has(key),
      'aria-label': `Compare ${m.id} (${m.provider})`,
    });
    box.addEventListener('change', () => toggle(key, box.checked));
    return h(
      'tr',
      {},
      h('td', {}, box),
      h('th', { scope: 'row' }, m.id),
      h('td', {}, m.provider),
      h('td', {}, m.modality),
      h('td', { class: 'num' }, paramsText(m.totalParamsB)),
      h('td', { class: 'num' }, m.architecture === 'moe' ? paramsText(m.activeParamsB) : '–'),
      h('td', {}, m.unit),
      h(
        'td',
        { class: 'num' },
        m.energyWh
          ? `${num(m.energyWh.mid)} (${num(m.energyWh.low)}–${num(m.energyWh.high)})`
          : (m.note ?? '–'),
      ),
      h('td', { class: 'num' }, m.costUsd === null ? '–' : usd(m.costUsd)),
      h('td', {}, priceText(m)),
    );
  };
  const body = h('tbody', {});
  const status = h('p', { class: 'note', role: 'status' });
  const prev = h('button', { type: 'button', class: 'button-quiet' }, 'Previous rows');
  const next = h('button', { type: 'button', class: 'button-quiet' }, 'Next rows');
  let offset = 0;
  const show = () => {
    const end = Math.min(offset + PAGE_SIZE, view.models.length);
    body.replaceChildren(...view.models.slice(offset, end).map(row));
    status.textContent = `Rows ${offset + 1}–${end} of ${view.models.length}.`;
    prev.disabled = offset === 0;
    next.disabled = end >= view.models.length;
  };
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    show();
  });
  next.addEventListener('click', () => {
    offset += PAGE_SIZE;
    show();
  });
  show();
  root.append(
    section(
      `Catalog (${view.models.length} models)`,
      h(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Catalog table' },
        h(
          'table',
          { class: 'data-table' },
          h(
            'caption',
            {},
            'Catalog models with their footprint per functional unit. Tick models to compare them in the chart.',
          ),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...[
                'Compare',
                'Model',
                'Provider',
                'Modality',
                'Parameters',
                'Active (MoE)',
                'Unit',
                'Energy per unit, Wh (low–high)',
                'Price per unit',
                'List price',
              ].map((x) => h('th', { scope: 'col' }, x)),
            ),
          ),
          body,
        ),
      ),
      h('div', { class: 'pager' }, prev, status, next),
    ),
  );
  return root;
}
