import { readFileSync } from 'node:fs';
import { averageIntensity, electricityMaps } from '@tgwf/co2/data';
import countries from 'i18n-iso-countries';
import type { z } from 'zod';
import {
  type CloudRegion,
  coefficientsFileSchema,
  ecologitsFileSchema,
  fromEcologits,
  GreenprintError,
  type GridFactor,
  methodologyFileSchema,
  modelCatalogFileSchema,
  type PriceRecord,
  pricesFileSchema,
  type ReferenceData,
  referenceFileSchema,
} from '../core/index.js';

/** The `data/` folder shipped with the package (two levels above this file in src/ and dist/). */
export const DEFAULT_DATA_DIR = new URL('../../data/', import.meta.url);

export interface LoadOptions {
  dataDir?: URL | string;
}

let cached: ReferenceData | undefined;

/** Loads and validates every shipped data file once per process. */
export function loadReferenceData(options: LoadOptions = {}): ReferenceData {
  if (!options.dataDir && cached) return cached;
  const dir = options.dataDir ? toDirUrl(options.dataDir) : DEFAULT_DATA_DIR;
  const data: ReferenceData = {
    ...loadFittingInputs(options),
    coefficients: readDataFile(dir, 'coefficients.json', coefficientsFileSchema),
  };
  if (!options.dataDir) cached = data;
  return data;
}

/** Everything but the fitted coefficients: what scripts/fit-coefficients.ts needs to produce them. */
export function loadFittingInputs(options: LoadOptions = {}): Omit<ReferenceData, 'coefficients'> {
  const dir = options.dataDir ? toDirUrl(options.dataDir) : DEFAULT_DATA_DIR;
  const read = <T extends z.ZodType>(file: string, schema: T): z.output<T> => readDataFile(dir, file, schema);
  const reference = read('reference.json', referenceFileSchema);
  const ours = read('models.json', modelCatalogFileSchema).models;
  const ecologits = fromEcologits(read('ecologits/models.json', ecologitsFileSchema));
  const oursKeys = new Set(ours.map((m) => `${m.provider}/${m.id}`));
  const prices = new Map<string, PriceRecord>();
  for (const file of ['prices.json', 'prices-manual.json']) {
    for (const p of read(file, pricesFileSchema).prices) prices.set(p.model.toLowerCase(), p);
  }
  return {
    methodology: read('methodology.json', methodologyFileSchema),
    models: [...ours, ...ecologits.filter((m) => !oursKeys.has(`${m.provider}/${m.id}`))],
    hardware: reference.hardware,
    providers: reference.providers,
    cloudRegions: new Map<string, CloudRegion>(reference.cloudRegions.map((r) => [r.id.toLowerCase(), r])),
    grid: gridTable(),
    waterIntensity: waterTable(readFileSync(new URL('ecologits/electricity_mixes.csv', dir), 'utf8')),
    prices,
  };
}

function readDataFile<T extends z.ZodType>(dir: URL, file: string, schema: T): z.output<T> {
  const url = new URL(file, dir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (cause) {
    throw new GreenprintError(
      'invalid_reference_data',
      `Cannot read ${url.pathname}: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new GreenprintError(
      'invalid_reference_data',
      `${url.pathname} does not match its schema at ${first?.path.join('.')}: ${first?.message}`,
    );
  }
  return parsed.data;
}

function toDirUrl(dir: URL | string): URL {
  if (dir instanceof URL) return dir;
  const abs = dir.startsWith('/') ? dir : `${process.cwd()}/${dir}`;
  return new URL(`file://${abs.endsWith('/') ? abs : `${abs}/`}`);
}

const EM_SOURCE = 'Electricity Maps yearly average (lifecycle), ODbL 1.0, via @tgwf/co2';
const EMBER_SOURCE = 'Ember yearly average, CC BY-SA 4.0, via @tgwf/co2 averageIntensity';

/**
 * Annual-average intensity by zone: Electricity Maps zones (latest year that has the zone, with its
 * year) and Ember countries by ISO alpha-3 plus aggregates such as WORLD (latest Ember year).
 */
function gridTable(): Map<string, GridFactor> {
  const grid = new Map<string, GridFactor>();
  const years = [2025, 2024, 2023, 2022, 2021] as const;
  for (const year of years) {
    const table = electricityMaps[`yearly${year}`].data;
    for (const [zone, v] of Object.entries(table)) {
      if (grid.has(zone.toUpperCase()) || typeof v.carbonIntensity?.value !== 'number') continue;
      grid.set(zone.toUpperCase(), {
        gPerKwh: v.carbonIntensity.value,
        year,
        source: `${EM_SOURCE} (${year})`,
        zoneName: v.zone.zoneName,
      });
    }
  }
  for (const [key, value] of Object.entries(averageIntensity.data)) {
    const k = key.toUpperCase();
    if (grid.has(k)) continue;
    grid.set(k, {
      gPerKwh: value,
      year: null,
      source: EMBER_SOURCE,
      zoneName: countries.getName(k, 'en') ?? key,
    });
  }
  return grid;
}

const WATER_SOURCE =
  'EcoLogits electricity_mixes.csv (MPL-2.0), water consumption of electricity generation from the WRI methodology';

/** Off-site water intensity, L/kWh, by ISO alpha-3 and alpha-2 code; WOR becomes WORLD. */
function waterTable(csv: string): Map<string, { lPerKwh: number; source: string }> {
  const map = new Map<string, { lPerKwh: number; source: string }>();
  const lines = csv.trim().split('\n');
  const header = (lines[0] ?? '').split(',');
  const nameAt = header.indexOf('name');
  const wueAt = header.indexOf('wue');
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const name = cells[nameAt];
    const wue = Number(cells[wueAt]);
    if (!name || !Number.isFinite(wue)) continue;
    const entry = { lPerKwh: wue, source: `${WATER_SOURCE} (${name})` };
    if (name === 'WOR') {
      map.set('WORLD', entry);
      continue;
    }
    map.set(name, entry);
    const alpha2 = countries.alpha3ToAlpha2(name);
    if (alpha2) map.set(alpha2, entry);
  }
  return map;
}
