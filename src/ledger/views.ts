import { addRange as add, GreenprintError, METHODOLOGY_VERSION, type Range } from '../core/index.js';
import type { Ledger } from './ledger.js';
import { type ReportQuery, type ReportRow, report } from './report.js';

const ZERO: Range = { low: 0, mid: 0, high: 0 };

export interface Inventory {
  period: { from: string | null; to: string | null };
  boundary: 'facility';
  scope1: { kgCO2e: Range; note: string };
  scope2: {
    locationKg: Range;
    marketKg: Range;
    energyKwh: Range;
    events: number;
    marketFactorEvents: number;
    note: string;
  };
  scope3: {
    category1: {
      kgCO2e: Range;
      operationalKg: Range;
      embodiedKg: Range;
      energyKwh: Range;
      events: number;
      note: string;
    };
    category2: { kgCO2e: Range; note: string };
  };
  /** Grid factors behind the figures (whole ledger), with their source and year. */
  factors: {
    zone: string;
    source: string;
    year: number | null;
    gPerKwh: { min: number; max: number };
    events: number;
    energyKwh: number;
  }[];
  events: number;
  measuredShare: number;
  methodologyVersions: string[];
  currentMethodology: string;
}

/**
 * A GHG Protocol view: Scope 1 (nothing is generated on site), Scope 2 location- and market-based
 * for self-hosted inference, Scope 3 category 1 for managed APIs and rented GPUs (operational and
 * embodied) and category 2 for the amortised share of accelerators you bought.
 */
export async function inventory(ledger: Ledger, query: Omit<ReportQuery, 'by'> = {}): Promise<Inventory> {
  const r = await report(ledger, { ...query, by: ['scope'] });
  const pick = (label: string) => r.rows.find((row) => row.group.scope === label);
  const s2 = pick('Scope 2');
  const c1 = pick('Scope 3 cat. 1');
  const c2 = pick('Scope 3 cat. 2');
  const factors = await ledger.db
    .selectFrom('factors')
    .selectAll()
    .orderBy('energy_wh_mid', 'desc')
    .execute();
  return {
    period: { from: query.from ?? null, to: query.to ?? null },
    boundary: 'facility',
    scope1: {
      kgCO2e: ZERO,
      note: 'No on-site generation is recorded; GenAI use has no direct emissions in this ledger.',
    },
    scope2: {
      locationKg: s2?.carbonKg ?? ZERO,
      marketKg: s2?.carbonMarketKg ?? ZERO,
      energyKwh: s2?.energyKwh ?? ZERO,
      events: s2?.events ?? 0,
      marketFactorEvents: s2?.marketFactorEvents ?? 0,
      note: 'Self-hosted inference. Market-based uses the supplier factor given on each event and falls back to the location-based factor where none was given (no residual-mix data).',
    },
    scope3: {
      category1: {
        kgCO2e: c1 ? add(c1.carbonKg, c1.embodiedKg) : ZERO,
        operationalKg: c1?.carbonKg ?? ZERO,
        embodiedKg: c1?.embodiedKg ?? ZERO,
        energyKwh: c1?.energyKwh ?? ZERO,
        events: c1?.events ?? 0,
        note: 'Managed APIs and rented GPUs: purchased services, operational and embodied emissions together.',
      },
      category2: {
        kgCO2e: c2?.embodiedKg ?? ZERO,
        note: 'Embodied emissions of self-hosted accelerators, amortised per GPU-second; the GHG Protocol reports capital goods in full in the year of purchase.',
      },
    },
    factors: factors.map((f) => ({
      zone: f.zone,
      source: f.source,
      year: f.year || null,
      gPerKwh: { min: f.g_per_kwh_min, max: f.g_per_kwh_max },
      events: f.events,
      energyKwh: f.energy_wh_mid / 1000,
    })),
    events: r.total.events,
    measuredShare: r.total.events ? r.total.measuredEvents / r.total.events : 0,
    methodologyVersions: [...new Set(factors.map((f) => f.methodology_version))].sort(),
    currentMethodology: METHODOLOGY_VERSION,
  };
}

export const SCI_UNITS = ['call', '1k-tokens', 'image', 'run'] as const;
export type SciUnit = (typeof SCI_UNITS)[number];

export interface SciRow {
  group: Record<string, string>;
  unit: SciUnit;
  units: number;
  /** ((E · I) + M) / R in gCO2e per unit, location-based as ISO/IEC 21031:2024 requires. */
  gCO2ePerUnit: Range;
}

/** Software Carbon Intensity per functional unit, overall or per group. */
export async function sci(ledger: Ledger, unit: SciUnit, query: ReportQuery = {}): Promise<SciRow[]> {
  if (!SCI_UNITS.includes(unit)) {
    throw new GreenprintError(
      'invalid_input',
      `Unknown SCI unit "${unit}". Use one of: ${SCI_UNITS.join(', ')}.`,
    );
  }
  const r = await report(ledger, query);
  const runs = unit === 'run' ? await runCounts(ledger, query.by ?? []) : null;
  const rows = query.by?.length ? r.rows : [r.total];
  return rows.map((row) => {
    const units = unitsOf(row, unit, runs);
    const carbonG = add(row.carbonKg, row.embodiedKg);
    const per = (x: number) => (units > 0 ? (x * 1000) / units : 0);
    return {
      group: row.group,
      unit,
      units,
      gCO2ePerUnit: { low: per(carbonG.low), mid: per(carbonG.mid), high: per(carbonG.high) },
    };
  });
}

function unitsOf(row: ReportRow, unit: SciUnit, runs: Map<string, number> | null): number {
  if (unit === 'call') return row.calls;
  if (unit === '1k-tokens') return (row.inputTokens + row.outputTokens) / 1000;
  if (unit === 'image') return row.images;
  return runs?.get(JSON.stringify(row.group)) ?? 0;
}

/** Distinct pipeline runs per group (runs are an asset produced by a pipeline). */
async function runCounts(ledger: Ledger, by: string[]): Promise<Map<string, number>> {
  const allowed = by.filter((b) => b === 'project' || b === 'pipeline');
  if (allowed.length !== by.length) {
    throw new GreenprintError('invalid_input', 'SCI per run can be grouped by project and pipeline only.');
  }
  const rows = await ledger.db
    .selectFrom('run_stages')
    .select(['project', 'pipeline', 'run'])
    .distinct()
    .execute();
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (!r.run) continue;
    const group: Record<string, string> = {};
    for (const b of allowed) group[b] = r[b as 'project' | 'pipeline'];
    const key = JSON.stringify(group);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface ProcessStage {
  stage: string;
  /** Runs in which the stage appears. */
  runs: number;
  events: number;
  calls: number;
  energyKwh: Range;
  carbonKg: Range;
  embodiedKg: number;
  energyWhPerRun: number;
  carbonGPerRun: number;
  /** Share of the pipeline's location-based carbon. */
  share: number;
}

export interface ProcessMap {
  project: string;
  pipeline: string;
  runs: number;
  stages: ProcessStage[];
  carbonGPerRun: number;
}

/**
 * Each pipeline's stages in the order they run (median position of the stage's first call within
 * each run), with calls, energy and carbon per stage and per run: where in the chain the impact sits.
 */
export async function processMap(
  ledger: Ledger,
  where: { project?: string; pipeline?: string } = {},
): Promise<ProcessMap[]> {
  let q = ledger.db.selectFrom('run_stages').selectAll();
  if (where.project) q = q.where('project', '=', where.project);
  if (where.pipeline) q = q.where('pipeline', '=', where.pipeline);
  const rows = await q.execute();
  const pipelines = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.project}\u0001${r.pipeline}`;
    const list = pipelines.get(key) ?? [];
    list.push(r);
    pipelines.set(key, list);
  }
  const maps: ProcessMap[] = [];
  for (const list of pipelines.values()) {
    const first = list[0] as (typeof rows)[number];
    const byRun = new Map<string, typeof rows>();
    for (const r of list) byRun.set(r.run, [...(byRun.get(r.run) ?? []), r]);
    const positions = new Map<string, number[]>();
    for (const runRows of byRun.values()) {
      const n = runRows.length;
      [...runRows]
        .sort((a, b) => a.first_ts_ms - b.first_ts_ms)
        .forEach((r, i) => {
          positions.set(r.stage, [...(positions.get(r.stage) ?? []), n > 1 ? i / (n - 1) : 0]);
        });
    }
    const stages = new Map<string, ProcessStage>();
    let pipelineCarbon = 0;
    for (const r of list) {
      let s = stages.get(r.stage);
      if (!s) {
        s = {
          stage: r.stage,
          runs: 0,
          events: 0,
          calls: 0,
          energyKwh: { ...ZERO },
          carbonKg: { ...ZERO },
          embodiedKg: 0,
          energyWhPerRun: 0,
          carbonGPerRun: 0,
          share: 0,
        };
        stages.set(r.stage, s);
      }
      s.runs += 1;
      s.events += r.events;
      s.calls += r.requests;
      s.energyKwh = add(s.energyKwh, {
        low: r.energy_wh_low / 1000,
        mid: r.energy_wh_mid / 1000,
        high: r.energy_wh_high / 1000,
      });
      s.carbonKg = add(s.carbonKg, {
        low: r.carbon_g_low / 1000,
        mid: r.carbon_g_mid / 1000,
        high: r.carbon_g_high / 1000,
      });
      s.embodiedKg += r.embodied_g_mid / 1000;
      pipelineCarbon += r.carbon_g_mid;
    }
    for (const s of stages.values()) {
      s.energyWhPerRun = (s.energyKwh.mid * 1000) / s.runs;
      s.carbonGPerRun = (s.carbonKg.mid * 1000) / s.runs;
      s.share = pipelineCarbon > 0 ? (s.carbonKg.mid * 1000) / pipelineCarbon : 0;
    }
    const order = (stage: string) => median(positions.get(stage) ?? [0]);
    maps.push({
      project: first.project,
      pipeline: first.pipeline,
      runs: byRun.size,
      stages: [...stages.values()].sort(
        (a, b) => order(a.stage) - order(b.stage) || a.stage.localeCompare(b.stage),
      ),
      carbonGPerRun: byRun.size ? pipelineCarbon / byRun.size : 0,
    });
  }
  return maps.sort((a, b) => a.project.localeCompare(b.project) || a.pipeline.localeCompare(b.pipeline));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
