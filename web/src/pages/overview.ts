import type { Figures, Overview } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { axis, bandSeries, bandTooltip, figure, labelledBars, legend, palette } from '../charts.js';
import { h } from '../dom.js';
import { exportBar } from '../exportBar.js';
import { filtersBar } from '../filtersBar.js';
import { CARBON_KG, ENERGY_KWH, num, rangeParts, type Scale, scaleFor, usd, WATER_L } from '../format.js';
import { empty, kpi, notAppliedNote, type PageContext, pageHead, section } from '../page.js';

type Range = Figures['energyKwh'];

const scaled = (r: Range, s: Scale): Range => ({
  low: r.low * s.factor,
  mid: r.mid * s.factor,
  high: r.high * s.factor,
});

function bandFigure(
  title: string,
  periods: string[],
  ranges: Range[],
  scales: Scale[],
  section: [string, string],
  extra?: { name: string; values: Range[] },
) {
  const s = scaleFor(
    ranges.map((r) => r.high),
    scales,
  );
  const points = ranges.map((r) => scaled(r, s));
  const extraPoints = extra?.values.map((r) => scaled(r, s));
  return figure({
    title: `${title} (${s.unit})`,
    section: section[0],
    sectionName: section[1],
    summary: `${title} per period, ${periods.length} periods from ${periods[0]} to ${periods.at(-1)}; central values from ${num(Math.min(...points.map((p) => p.mid)))} to ${num(Math.max(...points.map((p) => p.mid)))} ${s.unit}.`,
    option: () => {
      const p = palette();
      return {
        grid: { left: 56, right: 16, top: 36, bottom: 32 },
        legend: { ...legend(), data: [title, ...(extra ? [extra.name] : [])] },
        xAxis: axis({ type: 'category', data: periods }),
        yAxis: axis({ type: 'value', name: s.unit }),
        tooltip: {
          trigger: 'axis',
          formatter: bandTooltip(
            { [title]: points, ...(extraPoints && extra ? { [extra.name]: extraPoints } : {}) },
            s.unit,
          ),
        },
        series: [
          ...bandSeries(title, points, p.series[0] as string),
          ...(extraPoints && extra
            ? [
                {
                  name: extra.name,
                  type: 'line',
                  data: extraPoints.map((x) => x.mid),
                  color: p.series[2],
                  lineStyle: { type: 'dashed', width: 2 },
                  symbol: 'diamond',
                  symbolSize: 8,
                },
              ]
            : []),
        ],
      };
    },
    data: {
      headers: [
        'Period',
        `Low (${s.unit})`,
        `Mid (${s.unit})`,
        `High (${s.unit})`,
        ...(extra ? [`${extra.name} mid (${s.unit})`] : []),
      ],
      rows: periods.map((period, i) => [
        period,
        num((points[i] as Range).low),
        num((points[i] as Range).mid),
        num((points[i] as Range).high),
        ...(extraPoints ? [num((extraPoints[i] as Range).mid)] : []),
      ]),
    },
  });
}

function topFigure(title: string, labels: string[], rows: Figures[], what: string) {
  // Ranked as the ledger ranks them: operational (location-based) plus embodied CO2e.
  const total = rows.map((r) => r.carbonKg.mid + r.embodiedKg.mid);
  const s = scaleFor(total, CARBON_KG);
  const op = rows.map((r) => Number((r.carbonKg.mid * s.factor).toPrecision(4)));
  const em = rows.map((r) => Number((r.embodiedKg.mid * s.factor).toPrecision(4)));
  return figure({
    title: `${title} by CO₂e (${s.unit})`,
    section: '13b',
    sectionName: 'Aggregation',
    summary: `${what}s ranked by CO₂e, operational plus embodied: ${labels
      .slice(0, 3)
      .map((l, i) => `${l} ${num((total[i] as number) * s.factor)} ${s.unit}`)
      .join('; ')}.`,
    height: Math.max(160, 30 * labels.length + 72),
    option: () => ({
      ...labelledBars([...labels].reverse(), 140, 24),
      grid: { left: 156, right: 24, top: 8, bottom: 60 },
      legend: { ...legend(), top: undefined, bottom: 0 },
      xAxis: axis({ type: 'value' }),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      series: [
        { name: 'Operational, location-based', type: 'bar', stack: 'co2', data: [...op].reverse() },
        { name: 'Embodied', type: 'bar', stack: 'co2', data: [...em].reverse() },
      ],
    }),
    data: {
      headers: [
        what,
        `Operational mid (${s.unit})`,
        `Operational low–high (${s.unit})`,
        `Embodied mid (${s.unit})`,
      ],
      rows: labels.map((l, i) => {
        const r = rows[i] as Figures;
        return [
          l,
          num(r.carbonKg.mid * s.factor),
          `${num(r.carbonKg.low * s.factor)}–${num(r.carbonKg.high * s.factor)}`,
          num(r.embodiedKg.mid * s.factor),
        ];
      }),
    },
  });
}

export async function overviewPage(ctx: PageContext): Promise<HTMLElement> {
  const [view, options] = await Promise.all([getJson<Overview>('overview', ctx.params), ctx.filterOptions()]);
  const t = view.totals;
  const e = rangeParts(t.energyKwh, ENERGY_KWH);
  const c = rangeParts(t.carbonKg, CARBON_KG);
  const m = rangeParts(t.carbonMarketKg, CARBON_KG);
  const em = rangeParts(t.embodiedKg, CARBON_KG);
  const w = rangeParts(t.waterL, WATER_L);
  const root = h(
    'div',
    { class: 'page' },
    ...pageHead(
      'Overview',
      'Energy, carbon, water and cost of the GenAI calls in the ledger, each with its low–mid–high range.',
    ),
    filtersBar(options, ctx.session, ctx.navigate),
    h(
      'div',
      { class: 'toolbar' },
      exportBar('overview', view.tables ?? [], ctx.params),
      notAppliedNote(view.notApplied),
    ),
  );
  root.append(
    section(
      'Totals',
      h(
        'div',
        { class: 'kpis' },
        kpi('Energy', e.value, `range ${e.range} · facility boundary · ${num(t.calls)} calls`, [
          '5',
          'Server and facility',
        ]),
        kpi('CO₂e, location-based', c.value, `range ${c.range}`, ['6', 'Carbon']),
        kpi(
          'CO₂e, market-based',
          m.value,
          `${t.marketFactorEvents} of ${t.events} events with a supplier factor; location-based elsewhere`,
          ['13b', 'Aggregation'],
        ),
        kpi('Embodied CO₂e', em.value, `range ${em.range} · hardware manufacturing, amortised per use`, [
          '8',
          'Embodied carbon',
        ]),
        kpi('Water', w.value, `range ${w.range} · on-site and off-site`, ['7', 'Water']),
        kpi('Cost', usd(t.costUsd), `list prices; ${t.pricedEvents} of ${t.events} events priced`, [
          '10',
          'Cost',
        ]),
      ),
    ),
  );
  if (view.series.length === 0) {
    root.append(empty('No events match these filters. Widen the period or clear a filter.'));
    return root;
  }
  const periods = view.series.map((s) => s.period);
  const costScale = { unit: 'USD', factor: 1 };
  root.append(
    section(
      `Over time (per ${view.bucket})`,
      h(
        'div',
        { class: 'grid-2' },
        bandFigure(
          'Energy',
          periods,
          view.series.map((s) => s.energyKwh),
          ENERGY_KWH,
          ['5', 'Server and facility'],
        ),
        bandFigure(
          'CO₂e location-based',
          periods,
          view.series.map((s) => s.carbonKg),
          CARBON_KG,
          ['6', 'Carbon'],
          {
            name: 'CO₂e market-based',
            values: view.series.map((s) => s.carbonMarketKg),
          },
        ),
        bandFigure(
          'Water',
          periods,
          view.series.map((s) => s.waterL),
          WATER_L,
          ['7', 'Water'],
        ),
        figure({
          title: 'Cost (USD, list prices)',
          section: '10',
          sectionName: 'Cost',
          summary: `Cost per period, total ${usd(t.costUsd)} over ${periods.length} periods.`,
          option: () => ({
            grid: { left: 56, right: 16, top: 24, bottom: 32 },
            xAxis: axis({ type: 'category', data: periods }),
            yAxis: axis({ type: 'value', name: costScale.unit }),
            series: [{ name: 'Cost', type: 'bar', data: view.series.map((s) => s.costUsd), barMaxWidth: 40 }],
          }),
          data: {
            headers: ['Period', 'Cost (USD)', 'Priced events'],
            rows: view.series.map((s) => [s.period, usd(s.costUsd), s.pricedEvents]),
          },
        }),
      ),
    ),
    section(
      'Largest contributors',
      h(
        'div',
        { class: 'grid-3' },
        topFigure(
          'Top models',
          view.top.models.map((m) => m.model),
          view.top.models,
          'Model',
        ),
        topFigure(
          'Top projects',
          view.top.projects.map((m) => m.project || '(none)'),
          view.top.projects,
          'Project',
        ),
        topFigure(
          'Top stages',
          view.top.stages.map((m) => `${m.pipeline || '(none)'} › ${m.stage || '(none)'}`),
          view.top.stages,
          'Stage',
        ),
      ),
    ),
  );
  return root;
}
