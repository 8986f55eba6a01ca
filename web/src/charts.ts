import { BarChart, LineChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { h, table, uid } from './dom.js';
import { num } from './format.js';

echarts.use([
  BarChart,
  LineChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  SVGRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Colours of the current theme, read from the CSS custom properties in styles.css. */
export function palette(): {
  series: string[];
  text: string;
  muted: string;
  grid: string;
  band: string;
  bg: string;
} {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    series: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => v(`--chart-${i}`)),
    text: v('--fg'),
    muted: v('--muted'),
    grid: v('--border'),
    band: v('--chart-band'),
    bg: v('--card'),
  };
}

const live = new Set<{ chart: echarts.ECharts; observer: ResizeObserver }>();
export interface PendingChart {
  el: HTMLElement;
  option: () => ChartOption;
  summary: string;
}
let pending: PendingChart[] = [];

/** The charts built since the last call: a page's charts, to mount once the page is in the document. */
export function takeCharts(): PendingChart[] {
  const taken = pending;
  pending = [];
  return taken;
}

/** Disposes every chart of the page being left. */
export function disposeCharts(): void {
  for (const { chart, observer } of live) {
    observer.disconnect();
    chart.dispose();
  }
  live.clear();
}

/** Initialises a page's charts once their elements are in the document (ECharts needs their size). */
export function mountCharts(charts: readonly PendingChart[]): void {
  for (const { el, option, summary } of charts) {
    const chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(withTheme(option(), summary));
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(el);
    live.add({ chart, observer });
  }
}

function withTheme(option: ChartOption, summary: string): ChartOption {
  const p = palette();
  return {
    animation: false,
    color: p.series,
    // A concrete family: ECharts measures text for layout with it, and the SVG renders with it.
    textStyle: { color: p.text, fontFamily: FONT, fontSize: 12 },
    // ECharts writes the description onto the chart element as its aria-label.
    aria: { enabled: true, label: { description: summary }, decal: { show: false } },
    tooltip: { trigger: 'axis', confine: true },
    ...option,
  };
}

/** Axis styling shared by every chart, in the theme's colours. */
export function axis(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const p = palette();
  return {
    axisLine: { lineStyle: { color: p.muted } },
    axisLabel: { color: p.text, hideOverlap: true },
    nameTextStyle: { color: p.text },
    splitLine: { lineStyle: { color: p.grid } },
    ...extra,
  };
}

export function legend(): Record<string, unknown> {
  const p = palette();
  return { top: 0, textStyle: { color: p.text }, inactiveColor: p.grid };
}

/** A mid line with its low–high band drawn as a stacked, transparent-based area. */
export function bandSeries(
  name: string,
  points: { low: number; mid: number; high: number }[],
  color: string,
) {
  const p = palette();
  const stack = `band-${uid('s')}`;
  return [
    {
      name: `${name} low`,
      type: 'line',
      data: points.map((x) => x.low),
      stack,
      symbol: 'none',
      lineStyle: { opacity: 0 },
      tooltip: { show: false },
      silent: true,
      legendHoverLink: false,
    },
    {
      name: `${name} range`,
      type: 'line',
      data: points.map((x) => x.high - x.low),
      stack,
      symbol: 'none',
      lineStyle: { opacity: 0 },
      areaStyle: { color: p.band },
      silent: true,
    },
    { name, type: 'line', data: points.map((x) => x.mid), color, symbolSize: 7, lineStyle: { width: 2 } },
  ];
}

/** Tooltip rows `name: mid (low–high) unit` for charts drawn with `bandSeries`. */
export function bandTooltip(
  ranges: Record<string, { low: number; mid: number; high: number }[]>,
  unit: string,
) {
  return (params: unknown) => {
    const list = (Array.isArray(params) ? params : [params]) as {
      dataIndex: number;
      axisValueLabel?: string;
      seriesName: string;
    }[];
    const i = list[0]?.dataIndex ?? 0;
    const rows = Object.entries(ranges).map(([name, r]) => {
      const x = r[i];
      return x ? `${name}: ${num(x.mid)} ${unit} (${num(x.low)}–${num(x.high)})` : '';
    });
    return [list[0]?.axisValueLabel ?? '', ...rows].filter(Boolean).join('<br>');
  };
}

export interface FigureSpec {
  title: string;
  /** Methodology section number (`6`, `13c`) and its name, for the "Method" link. */
  section: string;
  sectionName: string;
  /** One sentence a screen reader announces for the chart. */
  summary: string;
  option: () => ChartOption;
  /** The chart's numbers as a table (behind a disclosure). */
  data: { headers: string[]; rows: (string | number)[][] };
  height?: number;
  className?: string;
}

/** A chart in a <figure>: title, link to its methodology section, the chart, and its data table. */
export function figure(spec: FigureSpec): HTMLElement {
  const id = uid('fig');
  const el = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': spec.summary,
    style: `height:${spec.height ?? 260}px`,
    'data-chart': spec.title,
  });
  pending.push({ el, option: spec.option, summary: spec.summary });
  return h(
    'figure',
    { class: `figure ${spec.className ?? ''}`, 'aria-labelledby': id },
    h('figcaption', {}, h('h3', { id }, spec.title), methodLink(spec.section, spec.sectionName)),
    el,
    h(
      'details',
      { class: 'figure-data' },
      h('summary', {}, 'Data table'),
      table(spec.title, spec.data.headers, spec.data.rows),
    ),
  );
}

/** "Method: §6 Carbon" linking into the Methodology page. */
export function methodLink(section: string, name: string): HTMLAnchorElement {
  return h(
    'a',
    { class: 'method-link', href: `/dashboard/methodology#s-${section}`, 'data-nav': true },
    `Method: §${section} ${name}`,
  );
}

/** Grid and category axis of a horizontal bar chart whose labels get `width` px (longer ones are cut with …). */
export function labelledBars(labels: string[], width: number, right = 56) {
  return {
    grid: { left: width + 16, right, top: 8, bottom: 28 },
    yAxis: axis({
      type: 'category',
      data: labels,
      axisLabel: { ...(axis().axisLabel as object), width, overflow: 'truncate' },
    }),
  };
}
