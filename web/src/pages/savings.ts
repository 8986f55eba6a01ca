import type { LeverSaving, Savings } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { axis, figure, labelledBars, legend, methodLink } from '../charts.js';
import { h } from '../dom.js';
import { exportBar } from '../exportBar.js';
import { filtersBar } from '../filtersBar.js';
import { CARBON_G, ENERGY_WH, num, quantity, scaleFor, usd } from '../format.js';
import { empty, kpi, notAppliedNote, type PageContext, pageHead, section } from '../page.js';

const SECTION_NAMES: Record<string, string> = { '2': 'Text models', '13c': 'Carbon-aware scheduling' };

function leverCard(l: LeverSaving): HTMLElement {
  const measured = l.status === 'measured';
  return h(
    'article',
    { class: `lever${measured ? '' : ' lever-off'}`, 'aria-labelledby': `lever-${l.lever}` },
    h('h3', { id: `lever-${l.lever}` }, l.label),
    measured
      ? h(
          'dl',
          { class: 'lever-figures' },
          h('dt', {}, 'CO₂e avoided'),
          h('dd', { 'data-lever-carbon': l.lever }, quantity(l.avoided.carbonG, CARBON_G)),
          h('dt', {}, 'Energy avoided'),
          h(
            'dd',
            {},
            l.lever === 'deferral'
              ? 'unchanged (same work, other hours)'
              : quantity(l.avoided.energyWh, ENERGY_WH),
          ),
          h('dt', {}, 'Cost avoided'),
          h('dd', {}, usd(l.avoided.costUsd)),
          h('dt', {}, l.lever === 'deferral' ? 'Batches' : 'Events'),
          h(
            'dd',
            {},
            `${num(l.count)}${l.skipped ? ` (${l.skipped} without a counterfactual, left out)` : ''}`,
          ),
        )
      : h('p', { class: 'lever-status' }, 'Not recorded in the ledger: nothing to sum yet.'),
    h('p', { class: 'lever-method' }, h('strong', {}, 'Counterfactual: '), l.method),
    methodLink(l.section, SECTION_NAMES[l.section] ?? ''),
  );
}

export async function savingsPage(ctx: PageContext): Promise<HTMLElement> {
  const [view, options] = await Promise.all([getJson<Savings>('savings', ctx.params), ctx.filterOptions()]);
  const measured = view.levers.filter((l) => l.status === 'measured');
  const root = h(
    'div',
    { class: 'page' },
    ...pageHead(
      'Savings',
      'What each lever avoided against its counterfactual — the same work without the lever — with the method used.',
    ),
    filtersBar(options, ctx.session, ctx.navigate),
    h(
      'div',
      { class: 'toolbar' },
      exportBar('savings', view.tables ?? [], ctx.params),
      notAppliedNote(view.notApplied),
    ),
    section(
      'Totals',
      h(
        'div',
        { class: 'kpis' },
        kpi('CO₂e avoided', quantity(view.total.carbonG, CARBON_G), 'all levers, location-based, mid values'),
        kpi(
          'Energy avoided',
          quantity(view.total.energyWh, ENERGY_WH),
          'cache and routing; deferral moves energy, it does not cut it',
        ),
        kpi('Cost avoided', usd(view.total.costUsd), 'list prices'),
        kpi(
          'Deferral still expected',
          quantity(view.expectedDeferral.carbonG, CARBON_G),
          `${view.expectedDeferral.batches} planned batches, under the forecast; counted once they run`,
          ['13c', 'Carbon-aware scheduling'],
        ),
      ),
    ),
  );
  const active = measured.filter((l) => l.count > 0);
  if (active.length === 0) {
    root.append(empty('No lever has acted on the calls under these filters yet.'));
  } else {
    const s = scaleFor(
      active.flatMap((l) => [l.counterfactual.carbonG, l.actual.carbonG]),
      CARBON_G,
    );
    const days = [...new Set(view.series.map((p) => p.day))];
    const ds = scaleFor(
      view.series.map((p) => p.carbonG),
      CARBON_G,
    );
    root.append(
      section(
        'Counterfactual against actual',
        h(
          'div',
          { class: 'grid-2' },
          figure({
            title: `CO₂e with and without each lever (${s.unit})`,
            section: '6',
            sectionName: 'Carbon',
            summary: active
              .map(
                (l) =>
                  `${l.label}: ${num(l.counterfactual.carbonG * s.factor)} without, ${num(l.actual.carbonG * s.factor)} with`,
              )
              .join('; '),
            option: () => {
              const shown = [...active].reverse();
              return {
                ...labelledBars(
                  shown.map((l) => l.label),
                  170,
                  24,
                ),
                grid: { left: 186, right: 24, top: 8, bottom: 56 },
                legend: { ...legend(), top: undefined, bottom: 0 },
                tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
                xAxis: axis({ type: 'value', name: s.unit }),
                series: [
                  {
                    name: 'Without the lever (counterfactual)',
                    type: 'bar',
                    data: shown.map((l) => Number((l.counterfactual.carbonG * s.factor).toPrecision(4))),
                  },
                  {
                    name: 'With the lever (recorded)',
                    type: 'bar',
                    data: shown.map((l) => Number((l.actual.carbonG * s.factor).toPrecision(4))),
                  },
                ],
              };
            },
            height: 300,
            data: {
              headers: ['Lever', `Without (${s.unit})`, `With (${s.unit})`, `Avoided (${s.unit})`],
              rows: active.map((l) => [
                l.label,
                num(l.counterfactual.carbonG * s.factor),
                num(l.actual.carbonG * s.factor),
                num(l.avoided.carbonG * s.factor),
              ]),
            },
          }),
          figure({
            title: `CO₂e avoided per day (${ds.unit})`,
            section: '6',
            sectionName: 'Carbon',
            summary: `Avoided CO₂e on ${days.length} days, by lever.`,
            option: () => ({
              grid: { left: 56, right: 16, top: 24, bottom: 72 },
              legend: { ...legend(), top: undefined, bottom: 0 },
              tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
              xAxis: axis({ type: 'category', data: days }),
              yAxis: axis({ type: 'value', name: ds.unit }),
              series: active.map((l) => ({
                name: l.label,
                type: 'bar',
                stack: 'day',
                barMaxWidth: 40,
                data: days.map((d) => {
                  const point = view.series.find((p) => p.day === d && p.lever === l.lever);
                  return point ? Number((point.carbonG * ds.factor).toPrecision(4)) : 0;
                }),
              })),
            }),
            height: 300,
            data: {
              headers: ['Day', 'Lever', `Avoided (${ds.unit})`],
              rows: view.series.map((p) => [
                p.day,
                view.levers.find((l) => l.lever === p.lever)?.label ?? p.lever,
                num(p.carbonG * ds.factor),
              ]),
            },
          }),
        ),
      ),
    );
  }
  root.append(
    section('Levers and their methods', h('div', { class: 'levers' }, ...view.levers.map(leverCard))),
  );
  return root;
}
