import type { ExplainStep, Impact, ModelRecord, PriceRecord, Range } from '../core/index.js';
import { paramsRange, sig } from '../core/index.js';

function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(2);
  return String(sig(x, 3));
}

function row(label: string, r: Range | null, unit: string): string {
  if (!r) return `  ${label.padEnd(26)}${'n/a'.padStart(11)}`;
  return `  ${label.padEnd(26)}${fmt(r.low).padStart(11)}${fmt(r.mid).padStart(11)}${fmt(r.high).padStart(11)}  ${unit}`;
}

/** Human-readable summary of one Impact. */
export function formatImpact(i: Impact): string {
  const a = i.assumptions;
  const lines = [
    `${i.model.id} (${i.model.provider}) · ${i.model.operation} · boundary ${i.boundary}`,
    `  ${''.padEnd(26)}${'low'.padStart(11)}${'mid'.padStart(11)}${'high'.padStart(11)}`,
    row('energy', i.energyWh, 'Wh'),
    row('carbon, location-based', i.carbonGCO2e.location, 'gCO2e'),
    ...(i.carbonGCO2e.market ? [row('carbon, market-based', i.carbonGCO2e.market, 'gCO2e')] : []),
    row('embodied carbon', i.embodiedGCO2e, 'gCO2e'),
    row('water', i.waterMl, 'mL'),
    row('cost', i.costUsd, 'USD'),
    '',
    `  GHG: ${i.ghg.operational.label}; embodied: ${i.ghg.embodied.label}`,
    `  Hardware: ${a.hardware.gpu} ×${rangeText(a.hardware.gpuCount)}, batch ${rangeText(a.hardware.batchSize)}, ${a.hardware.precision}; coefficients ${a.hardware.coefficientsFrom}`,
    `  Model: ${rangeText(a.model.totalParamsB)}B total, ${rangeText(a.model.activeParamsB)}B active (${a.model.architecture}, ${a.model.origin})`,
    `  Facility: PUE ${rangeText(a.pue)}, WUE on-site ${rangeText(a.wueOnsiteLPerKwh)} L/kWh, off-site ${a.wueOffsiteLPerKwh} L/kWh`,
    `  Grid: ${a.grid.zone} ${a.grid.gPerKwh} gCO2e/kWh${a.grid.year ? ` (${a.grid.year})` : ''}${a.grid.hour ? ` at ${a.grid.hour}` : ''} — ${a.grid.source}`,
    `  Methodology ${i.methodologyVersion}; formulas in docs/methodology.md`,
  ];
  if (i.warnings.length) {
    lines.push('', '  Warnings:');
    for (const w of i.warnings) lines.push(`    [${w.code}] ${w.message}`);
  }
  return lines.join('\n');
}

function rangeText(r: Range): string {
  const lo = Math.min(r.low, r.high);
  const hi = Math.max(r.low, r.high);
  return lo === hi ? fmt(r.mid) : `${fmt(lo)}–${fmt(hi)}`;
}

export function formatExplain(steps: ExplainStep[]): string {
  const lines = steps.map(
    (s) =>
      `  ${s.name.padEnd(46)}${String(typeof s.value === 'number' ? fmt(s.value) : s.value).padStart(11)} ${s.unit.padEnd(20)} = ${s.formula}\n  ${''.padEnd(46)}${''.padStart(11)} source: ${s.source}`,
  );
  return ['Intermediate values (central scenario):', ...lines].join('\n');
}

export function formatModels(models: ModelRecord[], prices: Map<string, PriceRecord>): string {
  const head = `${'model'.padEnd(52)}${'provider'.padEnd(17)}${'modality'.padEnd(14)}${'total B'.padStart(12)}${'active B'.padStart(12)}${'$/Mtok in/out'.padStart(18)}`;
  const body = models.map((m) => {
    const p = prices.get(m.id.toLowerCase());
    const price = p?.inputPerMTok !== undefined ? `${p.inputPerMTok}/${p.outputPerMTok ?? '-'}` : '';
    return `${m.id.padEnd(52)}${m.provider.padEnd(17)}${m.modality.padEnd(14)}${paramsText(m.totalParamsB).padStart(12)}${paramsText(m.activeParamsB).padStart(12)}${price.padStart(18)}`;
  });
  return [head, ...body, '', `${models.length} models`].join('\n');
}

function paramsText(p: ModelRecord['totalParamsB']): string {
  const [lo, , hi] = paramsRange(p);
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}
