/** A low–mid–high range, as the API returns every estimated quantity. */
export interface Range {
  low: number;
  mid: number;
  high: number;
}

/** A display unit and the factor from the API's base unit to it. */
export interface Scale {
  unit: string;
  factor: number;
}

/** Picks the unit that makes `max` (in the base unit) read between 1 and 1000. */
function pick(max: number, scales: Scale[]): Scale {
  const abs = Math.abs(max);
  for (const s of scales) if (abs * s.factor >= 1) return s;
  return scales[scales.length - 1] as Scale;
}

export const ENERGY_KWH: Scale[] = [
  { unit: 'MWh', factor: 1e-3 },
  { unit: 'kWh', factor: 1 },
  { unit: 'Wh', factor: 1e3 },
  { unit: 'mWh', factor: 1e6 },
];
export const CARBON_KG: Scale[] = [
  { unit: 't CO₂e', factor: 1e-3 },
  { unit: 'kg CO₂e', factor: 1 },
  { unit: 'g CO₂e', factor: 1e3 },
  { unit: 'mg CO₂e', factor: 1e6 },
];
export const CARBON_G: Scale[] = CARBON_KG.map((s) => ({ unit: s.unit, factor: s.factor / 1000 }));
export const ENERGY_WH: Scale[] = ENERGY_KWH.map((s) => ({ unit: s.unit, factor: s.factor / 1000 }));
export const WATER_L: Scale[] = [
  { unit: 'm³', factor: 1e-3 },
  { unit: 'L', factor: 1 },
  { unit: 'mL', factor: 1e3 },
];

export function scaleFor(values: number[], scales: Scale[]): Scale {
  return pick(Math.max(0, ...values.map((v) => Math.abs(v))), scales);
}

/** Three significant figures, grouped, no exponent for everyday magnitudes. */
export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-GB');
  return Number(x.toPrecision(digits)).toLocaleString('en-GB', { maximumSignificantDigits: digits });
}

/** `value unit` with the unit chosen for the value itself. */
export function quantity(x: number, scales: Scale[]): string {
  const s = pick(x, scales);
  return `${num(x * s.factor)} ${s.unit}`;
}

/** `mid unit (low–high)` in one unit chosen for the mid value. */
export function rangeText(r: Range, scales: Scale[]): string {
  const s = pick(r.mid || r.high, scales);
  return `${num(r.mid * s.factor)} ${s.unit} (${num(r.low * s.factor)}–${num(r.high * s.factor)})`;
}

export function usd(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const sign = x < 0 ? '−' : '';
  const abs = Math.abs(x);
  return abs >= 100 ? `${sign}$${Math.round(abs).toLocaleString('en-GB')}` : `${sign}$${num(abs, 3)}`;
}

export function pct(x: number): string {
  return `${num(x * 100, 3)} %`;
}

export function dateTime(iso: string | null): string {
  if (!iso) return '–';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The mid value with its unit, and `low–high unit`, in one unit chosen for the mid value. */
export function rangeParts(r: Range, scales: Scale[]): { value: string; range: string } {
  const s = pick(r.mid || r.high, scales);
  return {
    value: `${num(r.mid * s.factor)} ${s.unit}`,
    range: `${num(r.low * s.factor)}–${num(r.high * s.factor)} ${s.unit}`,
  };
}
