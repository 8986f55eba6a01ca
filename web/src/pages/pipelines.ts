import type { Pipelines, PipelineView } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { axis, figure, labelledBars, legend, palette } from '../charts.js';
import { h, table } from '../dom.js';
import { exportBar } from '../exportBar.js';
import { filtersBar } from '../filtersBar.js';
import { CARBON_G, CARBON_KG, ENERGY_WH, num, pct, quantity, scaleFor } from '../format.js';
import { empty, kpi, notAppliedNote, type PageContext, pageHead, section } from '../page.js';

function pipelineSection(p: PipelineView, selectedStage: string | null): HTMLElement {
  const stages = p.stages;
  const perRun = scaleFor(
    stages.map((s) => s.carbonGPerRun),
    CARBON_G,
  );
  const order = stages.map((s, i) => `${i + 1}. ${s.stage}`);
  const shareFigure = figure({
    title: 'Stages in order: share of the pipeline’s CO₂e',
    section: '13b',
    sectionName: 'Process map',
    summary: `${stages.length} stages of ${p.pipeline} in run order; the largest share is ${[...stages].sort((a, b) => b.share - a.share)[0]?.stage} at ${pct([...stages].sort((a, b) => b.share - a.share)[0]?.share ?? 0)}.`,
    height: Math.max(180, 36 * stages.length + 40),
    option: () => {
      const c = palette();
      return {
        ...labelledBars([...order].reverse(), 110, 170),
        xAxis: axis({ type: 'value', max: 100, name: '%' }),
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        series: [
          {
            name: 'Share of CO₂e (%)',
            type: 'bar',
            data: [...stages].reverse().map((s) => ({
              value: Number((s.share * 100).toFixed(2)),
              itemStyle: { color: selectedStage && s.stage === selectedStage ? c.series[2] : c.series[0] },
            })),
            label: {
              show: true,
              position: 'right',
              color: c.text,
              formatter: (x: { dataIndex: number; value: number }) => {
                const s = [...stages].reverse()[x.dataIndex];
                return s
                  ? `${num(x.value)} % · ${num(s.carbonGPerRun * perRun.factor)} ${perRun.unit}/run`
                  : '';
              },
            },
          },
        ],
      };
    },
    data: {
      headers: ['Stage', 'Share of CO₂e', `CO₂e per run (${perRun.unit})`, 'Energy per run', 'Calls', 'Runs'],
      rows: stages.map((s, i) => [
        `${i + 1}. ${s.stage}`,
        pct(s.share),
        num(s.carbonGPerRun * perRun.factor),
        quantity(s.energyWhPerRun, ENERGY_WH),
        s.calls,
        s.runs,
      ]),
    },
  });

  const runs = p.runList;
  const runLabels = runs.map((r) => `${r.run || '(no run id)'} · ${r.startedAt.slice(0, 10)}`);
  const runScale = scaleFor(
    runs.map((r) => r.carbonG),
    CARBON_G,
  );
  const runsFigure = runs.length
    ? figure({
        title: `CO₂e per run, by stage (${runScale.unit})`,
        section: '13b',
        sectionName: 'Process map',
        summary: `${runs.length} runs of ${p.pipeline}; from ${num(Math.min(...runs.map((r) => r.carbonG * runScale.factor)))} to ${num(Math.max(...runs.map((r) => r.carbonG * runScale.factor)))} ${runScale.unit} per run.`,
        height: 280,
        option: () => ({
          grid: { left: 56, right: 16, top: 56, bottom: 40 },
          legend: { ...legend(), type: 'scroll' },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          xAxis: axis({ type: 'category', data: runLabels }),
          yAxis: axis({ type: 'value', name: runScale.unit }),
          series: stages.map((s) => ({
            name: s.stage,
            type: 'bar',
            stack: 'run',
            barMaxWidth: 56,
            data: runs.map((r) =>
              Number(((r.stages[s.stage]?.carbonG ?? 0) * runScale.factor).toPrecision(4)),
            ),
          })),
        }),
        data: {
          headers: ['Run', 'Started', 'Calls', 'Energy', `CO₂e (${runScale.unit})`],
          rows: runs.map((r) => [
            r.run || '(no run id)',
            r.startedAt.slice(0, 16).replace('T', ' '),
            r.calls,
            quantity(r.energyWh, ENERGY_WH),
            num(r.carbonG * runScale.factor),
          ]),
        },
      })
    : empty('No runs of this pipeline start in the chosen period.');

  return section(
    `${p.project || '(no project)'} › ${p.pipeline || '(no pipeline)'}`,
    h(
      'div',
      { class: 'kpis' },
      kpi('Runs', num(p.runs), 'distinct run ids'),
      kpi('CO₂e per run', quantity(p.carbonGPerRun, CARBON_G), 'location-based, mid', ['13b', 'Process map']),
      kpi('Stages', num(stages.length), 'ordered by median position in each run'),
    ),
    h('div', { class: 'grid-2' }, shareFigure, runsFigure),
    table(
      `Stages of ${p.pipeline}: totals over all runs`,
      ['Stage', 'Calls', 'Energy', 'CO₂e (low–high)', 'Share'],
      stages.map((s, i) => {
        const c = scaleFor([s.carbonKg.high], CARBON_KG);
        return [
          `${i + 1}. ${s.stage}`,
          s.calls,
          quantity(s.energyKwh.mid * 1000, ENERGY_WH),
          `${num(s.carbonKg.mid * c.factor)} ${c.unit} (${num(s.carbonKg.low * c.factor)}–${num(s.carbonKg.high * c.factor)})`,
          pct(s.share),
        ];
      }),
    ),
  );
}

export async function pipelinesPage(ctx: PageContext): Promise<HTMLElement> {
  const [view, options] = await Promise.all([
    getJson<Pipelines>('pipelines', ctx.params),
    ctx.filterOptions(),
  ]);
  const root = h(
    'div',
    { class: 'page' },
    ...pageHead(
      'Pipelines',
      'Each pipeline’s stages in the order they run, with their share of the impact, per run and per stage.',
    ),
    filtersBar(options, ctx.session, ctx.navigate, ['from', 'to', 'project', 'pipeline', 'stage']),
    h(
      'div',
      { class: 'toolbar' },
      exportBar('pipelines', view.tables ?? [], ctx.params),
      notAppliedNote(view.notApplied),
    ),
    h(
      'p',
      { class: 'note' },
      'Stage shares cover every run of a pipeline; the period narrows the list of runs.',
    ),
  );
  if (view.pipelines.length === 0) {
    root.append(
      empty('No pipeline runs match these filters. Events need a pipeline or run label to appear here.'),
    );
  }
  for (const p of view.pipelines) root.append(pipelineSection(p, ctx.params.get('stage')));
  return root;
}
