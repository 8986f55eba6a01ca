import type { ScheduledBatch, SchedulerOverview } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { axis, figure, legend, palette } from '../charts.js';
import { h, table, uid } from '../dom.js';
import { exportBar } from '../exportBar.js';
import { filtersBar } from '../filtersBar.js';
import { CARBON_G, dateTime, ENERGY_WH, num, quantity } from '../format.js';
import { empty, kpi, notAppliedNote, type PageContext, pageHead, section } from '../page.js';

const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

function curveFigure(view: SchedulerOverview, b: ScheduledBatch): HTMLElement {
  const curve = view.curve;
  if (!curve) return empty(`No intensity signal for zone ${b.zone}.`);
  const actual = curve.points.map((p) => [p.t, p.actual]);
  const forecast = curve.points.filter((p) => p.forecast !== null).map((p) => [p.t, p.forecast]);
  const planned: [number, number] | null =
    b.plannedStart && b.plannedEnd ? [ms(b.plannedStart) as number, ms(b.plannedEnd) as number] : null;
  const duration = planned ? planned[1] - planned[0] : 0;
  const runNowStart = ms(b.runNowAt ?? b.createdAt) as number;
  const runNow: [number, number] = [runNowStart, runNowStart + Math.max(duration, 30 * 60_000)];
  const ran: [number, number] | null =
    b.startedAt && b.endedAt ? [ms(b.startedAt) as number, ms(b.endedAt) as number] : null;
  const values = curve.points.map((p) => p.actual);
  return figure({
    title: `Carbon intensity in ${curve.zone} around ${b.id} (gCO₂e/kWh)`,
    section: '13c',
    sectionName: 'Carbon-aware scheduling',
    summary: `Grid intensity in ${curve.zone} from ${dateTime(new Date(curve.points[0]?.t ?? 0).toISOString())}, between ${num(Math.min(...values))} and ${num(Math.max(...values))} gCO₂e/kWh. Run now from ${dateTime(b.runNowAt ?? b.createdAt)}; planned from ${dateTime(b.plannedStart)}.`,
    height: 320,
    option: () => {
      const c = palette();
      const area = (name: string, range: [number, number], color: string) => ({
        name,
        type: 'line',
        data: [],
        color,
        markArea: {
          silent: true,
          itemStyle: { color, opacity: 0.22 },
          label: { show: true, color: c.text, position: 'insideTop' },
          data: [[{ name, xAxis: range[0] }, { xAxis: range[1] }]],
        },
      });
      return {
        grid: { left: 56, right: 24, top: 48, bottom: 40 },
        legend: legend(),
        tooltip: { trigger: 'axis' },
        xAxis: axis({ type: 'time' }),
        yAxis: axis({ type: 'value', name: 'gCO₂e/kWh', scale: true }),
        series: [
          {
            name: 'Actual intensity',
            type: 'line',
            step: 'start',
            data: actual,
            symbol: 'none',
            color: c.series[1],
            lineStyle: { width: 2 },
            markLine: {
              silent: true,
              symbol: 'none',
              lineStyle: { color: c.muted, type: 'dotted' },
              label: { color: c.text, formatter: '{b}' },
              data: [{ name: 'deadline', xAxis: ms(b.expiresAt) }],
            },
          },
          ...(forecast.length
            ? [
                {
                  name: 'Forecast at submission',
                  type: 'line',
                  step: 'start',
                  data: forecast,
                  symbol: 'none',
                  color: c.series[4],
                  lineStyle: { type: 'dashed', width: 1.5 },
                },
              ]
            : []),
          area('Run now', runNow, c.series[2] as string),
          ...(planned ? [area('Planned', planned, c.series[0] as string)] : []),
          ...(ran ? [area('Ran', ran, c.series[6] as string)] : []),
        ],
      };
    },
    data: {
      headers: ['Slot start (UTC)', 'Actual (gCO₂e/kWh)', 'Forecast at submission (gCO₂e/kWh)'],
      rows: curve.points.map((p) => [
        dateTime(new Date(p.t).toISOString()),
        num(p.actual),
        p.forecast === null ? '–' : num(p.forecast),
      ]),
    },
  });
}

export async function schedulerPage(ctx: PageContext): Promise<HTMLElement> {
  const params = new URLSearchParams(ctx.params);
  const focusParam = new URLSearchParams(location.search).get('batch');
  if (focusParam) params.set('batch', focusParam);
  const [view, options] = await Promise.all([
    getJson<SchedulerOverview>('scheduler', params),
    ctx.filterOptions(),
  ]);
  const realised = view.batches.filter((b) => b.realisedG !== null && b.realisedRunNowG !== null);
  const pending = view.batches.filter(
    (b) => b.realisedG === null && b.expectedG !== null && b.runNowG !== null,
  );
  const root = h(
    'div',
    { class: 'page' },
    ...pageHead(
      'Scheduler',
      'Deferred batches on the carbon-intensity curve of the region they were planned into: planned against running at once.',
    ),
    filtersBar(options, ctx.session, ctx.navigate, ['from', 'to', 'project', 'pipeline', 'stage', 'region']),
    h(
      'div',
      { class: 'toolbar' },
      exportBar('scheduler', view.tables ?? [], params),
      notAppliedNote(view.notApplied),
    ),
    section(
      'Totals',
      h(
        'div',
        { class: 'kpis' },
        kpi('Batches', num(view.batches.length), `${realised.length} finished, ${pending.length} planned`),
        kpi(
          'CO₂e avoided by finished batches',
          quantity(
            realised.reduce((a, b) => a + ((b.realisedRunNowG ?? 0) - (b.realisedG ?? 0)), 0),
            CARBON_G,
          ),
          'run-now minus realised, actual intensities',
          ['13c', 'Carbon-aware scheduling'],
        ),
        kpi(
          'Expected by planned batches',
          quantity(
            pending.reduce((a, b) => a + ((b.runNowG ?? 0) - (b.expectedG ?? 0)), 0),
            CARBON_G,
          ),
          'run-now minus planned, under the forecast',
          ['13c', 'Carbon-aware scheduling'],
        ),
      ),
    ),
  );
  const focus = view.batches.find((b) => b.id === view.focus);
  if (!focus) {
    root.append(
      empty('No batches match these filters. Submit one through POST /v1/batches to see it planned here.'),
    );
    return root;
  }
  const id = uid('batch-select');
  const select = h(
    'select',
    { id },
    ...view.batches.map((b) =>
      h('option', { value: b.id, selected: b.id === focus.id }, `${b.id} · ${b.zone} · ${b.status}`),
    ),
  );
  select.addEventListener('change', () => {
    const q = new URLSearchParams(location.search);
    q.set('batch', select.value);
    ctx.navigate(`${location.pathname}?${q}`);
  });
  root.append(
    section(
      'Intensity curve',
      h('div', { class: 'field field-inline' }, h('label', { for: id }, 'Batch drawn on the curve'), select),
      curveFigure(view, focus),
      h('p', { class: 'note' }, `Signal: ${view.curve?.source ?? focus.signal ?? 'unknown'}.`),
    ),
    section(
      'Batches',
      table(
        'Batches with their plan and realised carbon',
        [
          'Batch',
          'Project',
          'Status',
          'Zone',
          'Submitted',
          'Planned start',
          'Energy',
          'Expected / run now',
          'Realised / run now',
          'Saving',
        ],
        view.batches.map((b) => [
          b.id,
          b.project,
          b.status,
          b.zone,
          dateTime(b.createdAt),
          dateTime(b.plannedStart),
          b.energyWh === null ? '–' : quantity(b.energyWh, ENERGY_WH),
          b.expectedG === null
            ? '–'
            : `${quantity(b.expectedG, CARBON_G)} / ${quantity(b.runNowG ?? 0, CARBON_G)}`,
          b.realisedG === null
            ? 'not run yet'
            : `${quantity(b.realisedG, CARBON_G)} / ${quantity(b.realisedRunNowG ?? 0, CARBON_G)}`,
          b.savingPct === null ? '–' : `${num(b.savingPct)} %${b.realisedG === null ? ' (expected)' : ''}`,
        ]),
      ),
    ),
  );
  return root;
}
