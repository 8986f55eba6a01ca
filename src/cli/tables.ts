import { GreenprintError, type Range, sig } from '../core/index.js';
import type { Inventory, ProcessMap, Report, SciRow } from '../ledger/index.js';

/** A view as rows of cells, rendered to text, CSV, Markdown or HTML. */
export interface Tabular {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

export const FORMATS = ['table', 'json', 'csv', 'md', 'html'] as const;
export type Format = (typeof FORMATS)[number];

const n = (x: number) => (x === 0 ? 0 : sig(x, 4));
const r = (x: Range) => `${n(x.mid)} [${n(x.low)}–${n(x.high)}]`;

export function reportTable(rep: Report): Tabular {
  const dims = rep.query.by?.length ? rep.query.by : [];
  const columns = [
    ...dims,
    'events',
    'calls',
    'tokens in',
    'tokens out',
    'energy kWh',
    'CO2e kg (location)',
    'CO2e kg (market)',
    'embodied kg',
    'water L',
    'cost USD',
  ];
  const line = (row: Report['rows'][number], label?: string) => [
    ...dims.map((d, i) => (label && i === 0 ? label : (row.group[d] ?? ''))),
    row.events,
    row.calls,
    row.inputTokens,
    row.outputTokens,
    r(row.energyKwh),
    r(row.carbonKg),
    r(row.carbonMarketKg),
    r(row.embodiedKg),
    r(row.waterL),
    n(row.costUsd),
  ];
  return {
    title: `Greenprint report${rep.query.from || rep.query.to ? ` ${rep.query.from ?? '…'} → ${rep.query.to ?? '…'}` : ''}`,
    columns,
    rows: [...rep.rows.map((row) => line(row)), ...(dims.length ? [line(rep.total, 'TOTAL')] : [])],
    notes: [
      'Ranges are mid [low–high]: sums of each event’s low and high scenario.',
      `Cost covers ${rep.total.pricedEvents} of ${rep.total.events} events (those with a public list price).`,
    ],
  };
}

/** Flat CSV columns for a report: every range as three columns. */
export function reportCsvTable(rep: Report): Tabular {
  const dims = rep.query.by ?? [];
  const ranges = ['energy_kwh', 'carbon_kg', 'carbon_market_kg', 'embodied_kg', 'water_l'] as const;
  const pick = {
    energy_kwh: 'energyKwh',
    carbon_kg: 'carbonKg',
    carbon_market_kg: 'carbonMarketKg',
    embodied_kg: 'embodiedKg',
    water_l: 'waterL',
  } as const;
  return {
    title: 'report',
    columns: [
      ...dims,
      'events',
      'calls',
      'input_tokens',
      'output_tokens',
      ...ranges.flatMap((m) => [`${m}_low`, `${m}_mid`, `${m}_high`]),
      'cost_usd',
      'priced_events',
      'measured_events',
    ],
    rows: rep.rows.map((row) => [
      ...dims.map((d) => row.group[d] ?? ''),
      row.events,
      row.calls,
      row.inputTokens,
      row.outputTokens,
      ...ranges.flatMap((m) => {
        const x = row[pick[m]];
        return [x.low, x.mid, x.high];
      }),
      row.costUsd,
      row.pricedEvents,
      row.measuredEvents,
    ]),
  };
}

export function inventoryTable(inv: Inventory): Tabular {
  return {
    title: `GHG Protocol inventory (boundary: ${inv.boundary}; methodology ${inv.methodologyVersions.join(', ') || inv.currentMethodology})`,
    columns: ['scope', 'kgCO2e', 'energy kWh', 'events', 'note'],
    rows: [
      ['Scope 1', r(inv.scope1.kgCO2e), '', '', inv.scope1.note],
      ['Scope 2 (location-based)', r(inv.scope2.locationKg), r(inv.scope2.energyKwh), inv.scope2.events, ''],
      ['Scope 2 (market-based)', r(inv.scope2.marketKg), '', inv.scope2.marketFactorEvents, inv.scope2.note],
      [
        'Scope 3 cat. 1',
        r(inv.scope3.category1.kgCO2e),
        r(inv.scope3.category1.energyKwh),
        inv.scope3.category1.events,
        inv.scope3.category1.note,
      ],
      ['Scope 3 cat. 2', r(inv.scope3.category2.kgCO2e), '', '', inv.scope3.category2.note],
    ],
    notes: [
      `Estimated vs measured: ${((1 - inv.measuredShare) * 100).toFixed(1)}% of ${inv.events} events estimated, ${(inv.measuredShare * 100).toFixed(1)}% measured.`,
      'Grid factors used:',
      ...inv.factors.map(
        (f) =>
          `  ${f.zone}: ${n(f.gPerKwh.min)}${f.gPerKwh.max !== f.gPerKwh.min ? `–${n(f.gPerKwh.max)}` : ''} gCO2e/kWh, ${f.source}${f.year && !f.source.includes(String(f.year)) ? ` (${f.year})` : ''}; ${f.events} events`,
      ),
    ],
  };
}

export function sciTable(rows: SciRow[]): Tabular {
  const dims = [...new Set(rows.flatMap((x) => Object.keys(x.group)))];
  return {
    title: `Software Carbon Intensity (ISO/IEC 21031:2024), gCO2e per ${rows[0]?.unit ?? 'unit'}`,
    columns: [...dims, 'units', 'SCI gCO2e per unit'],
    rows: rows.map((x) => [...dims.map((d) => x.group[d] ?? ''), n(x.units), r(x.gCO2ePerUnit)]),
    notes: ['SCI = (E·I + M) / R with location-based I and embodied M, as the standard requires.'],
  };
}

export function processTable(maps: ProcessMap[]): Tabular {
  return {
    title: 'Process map: each pipeline’s stages in order',
    columns: [
      'project',
      'pipeline',
      '#',
      'stage',
      'runs',
      'calls',
      'energy kWh',
      'CO2e kg',
      'Wh per run',
      'gCO2e per run',
      'share',
    ],
    rows: maps.flatMap((m) =>
      m.stages.map((s, i) => [
        m.project,
        m.pipeline,
        i + 1,
        s.stage,
        s.runs,
        s.calls,
        r(s.energyKwh),
        r(s.carbonKg),
        n(s.energyWhPerRun),
        n(s.carbonGPerRun),
        `${(s.share * 100).toFixed(1)}%`,
      ]),
    ),
  };
}

export function render(t: Tabular, format: Exclude<Format, 'json'>): string {
  switch (format) {
    case 'csv':
      return [t.columns, ...t.rows].map((row) => row.map(csvCell).join(',')).join('\n');
    case 'md':
      return [
        `## ${t.title}`,
        '',
        `| ${t.columns.join(' | ')} |`,
        `| ${t.columns.map(() => '---').join(' | ')} |`,
        ...t.rows.map((row) => `| ${row.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
        ...(t.notes?.length ? ['', ...t.notes.map((x) => `> ${x}`)] : []),
      ].join('\n');
    case 'html':
      return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(t.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1b1b1b}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}caption{font-weight:600;text-align:left;margin-bottom:.5rem}</style>
</head><body><table><caption>${esc(t.title)}</caption><thead><tr>${t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('\n')}</tbody></table>
${(t.notes ?? []).map((x) => `<p>${esc(x)}</p>`).join('\n')}</body></html>`;
    case 'table': {
      const cells = [t.columns, ...t.rows.map((row) => row.map(String))];
      const widths = t.columns.map((_, i) => Math.max(...cells.map((row) => String(row[i] ?? '').length)));
      const fmt = (row: (string | number)[]) =>
        row
          .map((c, i) => String(c).padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd();
      return [
        t.title,
        '',
        fmt(t.columns),
        widths.map((w) => '-'.repeat(w)).join('  '),
        ...t.rows.map(fmt),
        ...(t.notes?.length ? ['', ...t.notes] : []),
      ].join('\n');
    }
    default:
      throw new GreenprintError(
        'invalid_input',
        `Unknown format "${format as string}". Use one of: ${FORMATS.join(', ')}.`,
      );
  }
}

function csvCell(c: string | number): string {
  const s = String(c);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}
