import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { createEstimator, GreenprintError, sig } from '../core/index.js';
import { loadReferenceData, readTrace, utcMs } from '../data/index.js';
import {
  DEFAULT_FORECASTER,
  FORECASTER_NAMES,
  type Forecaster,
  type ForecasterName,
  forecasterNamed,
} from '../scheduler/forecast/index.js';
import { type Job, type JobPlan, planJob } from '../scheduler/plan/index.js';
import { type PlanningSignals, traceSignals } from '../scheduler/planningSignals.js';
import { schedulingColumn, shippedSeries } from '../scheduler/sampleSignals.js';
import { type Series, seriesFromTrace } from '../scheduler/series.js';
import { ESTIMATE_FLAGS, eventFromFlags, helpFor, parseFlags } from './args.js';
import type { Io } from './ledger-commands.js';
import { render, type Tabular } from './tables.js';

/** `--forecaster` values: the named forecasters, and `oracle` (the planner sees the trace itself). */
const FORECASTER_CHOICES = [...FORECASTER_NAMES, 'oracle'] as const;

const SIGNAL_FLAGS = {
  trace: {
    type: 'string',
    multiple: true,
    help: 'ZONE=path of an hourly intensity CSV, repeatable (default: the shipped 2024 traces of DE, GB, US-CAL-CISO, replayed onto the dates asked)',
  },
  forecaster: {
    type: 'string',
    help: `How the planner sees the future: ${FORECASTER_CHOICES.join(', ')} (default ${DEFAULT_FORECASTER}; oracle = the trace itself)`,
  },
  json: { type: 'boolean', help: 'Print JSON (chart-ready: the signal per region, the plan and run-now)' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const;

const PLAN_FLAGS = {
  'energy-kwh': {
    type: 'string',
    help: 'Energy of the whole job, kWh (or give --model and tokens to estimate it)',
  },
  model: ESTIMATE_FLAGS.model,
  provider: ESTIMATE_FLAGS.provider,
  'input-tokens': ESTIMATE_FLAGS['input-tokens'],
  'output-tokens': ESTIMATE_FLAGS['output-tokens'],
  images: ESTIMATE_FLAGS.images,
  requests: { type: 'string', help: 'Calls in the job, each with the tokens given (default 1)' },
  duration: { type: 'string', help: 'Running time: 30m, 2h, 1.5d (default 1h)' },
  earliest: { type: 'string', help: 'Earliest start, ISO-8601 (default now)' },
  deadline: { type: 'string', help: 'Finish by: ISO-8601, or +24h after the earliest start (default +24h)' },
  regions: { type: 'string', help: 'Zones it may run in, home first: DE,GB (default DE)' },
  interruptible: { type: 'boolean', help: 'The job may pause between half-hour slots' },
  ...SIGNAL_FLAGS,
} as const;

const SIMULATE_FLAGS = {
  jobs: {
    type: 'string',
    help: 'CSV of jobs: arrival_time (ISO or "YYYY-MM-DD HH:MM:SS", UTC), duration_minutes; optional deadline, energy_kwh, region',
  },
  window: { type: 'string', help: 'Deadline after arrival for jobs without one: 24h (default)' },
  interruptible: { type: 'boolean', help: 'Jobs may pause between slots' },
  regions: {
    type: 'string',
    help: 'Zones every job may run in, home first (default: each job’s region, else the first trace)',
  },
  ...SIGNAL_FLAGS,
} as const;

const USAGE = `greenprint schedule plan [flags]       Greenest slots (and region) for a deferrable job before its deadline
greenprint schedule simulate --jobs <csv> [flags]   Replays a job list over a trace: planned vs run-now vs oracle`;

/** `greenprint schedule plan|simulate`. */
export async function scheduleCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'plan') return planCommand(rest, io);
  if (sub === 'simulate') return simulateCommand(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return 0;
  }
  throw new GreenprintError('invalid_input', `Unknown schedule command "${sub}". Use plan or simulate.`);
}

async function planCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(PLAN_FLAGS, argv);
  if (values.help) {
    io.out(
      `greenprint schedule plan [flags]\n\nPlans one deferrable job into the lowest-carbon half-hour slots before its deadline.\n\n${helpFor(PLAN_FLAGS)}`,
    );
    return 0;
  }
  const earliest = values.earliest ? isoMs(String(values.earliest), '--earliest') : Date.now();
  const durationMs = durationOf(values.duration ?? '1h', '--duration');
  const deadlineRaw = String(values.deadline ?? '+24h');
  const deadline = deadlineRaw.startsWith('+')
    ? earliest + durationOf(deadlineRaw.slice(1), '--deadline')
    : isoMs(deadlineRaw, '--deadline');
  const regions = listOf(values.regions ?? 'DE');
  const job: Job = {
    id: 'job',
    energyKwh: energyKwhOf(values),
    durationMs,
    earliestStartMs: earliest,
    deadlineMs: deadline,
    regions,
    interruptible: values.interruptible === true,
  };
  const { signals, forecaster } = signalsFrom(values);
  const believed = new Map<string, Series>();
  const actual = new Map<string, Series>();
  for (const zone of regions) {
    const f = await signals.forecast(zone, earliest, deadline);
    const a = await signals.actual(zone, earliest, deadline);
    if (!f || !a) {
      throw new GreenprintError(
        'unknown_region',
        `No carbon-intensity signal for zone "${zone}". Give one with --trace ${zone}=<file.csv>, or use ${signals.zones.join(', ')}.`,
      );
    }
    believed.set(zone, f);
    actual.set(zone, a);
  }
  const plan = planJob(job, believed, { actual, nowMs: earliest });
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          job,
          forecaster: forecaster?.name ?? 'oracle',
          plan,
          signals: [...believed].map(([zone, s]) => ({
            zone,
            source: s.source,
            startMs: s.startMs,
            stepMs: s.stepMs,
            forecast: Array.from(s.values, (v) => sig(v, 4)),
            actual: Array.from((actual.get(zone) as Series).values, (v) => sig(v, 4)),
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(render(planTable(plan, believed.get(plan.region) as Series), 'table'));
  return 0;
}

function planTable(plan: JobPlan, signal: Series): Tabular {
  const g = (x: number) => sig(x, 4);
  return {
    title: `Plan for a ${sig(plan.energyKwh, 3)} kWh job in ${plan.region}`,
    columns: ['run', 'start (UTC)', 'end (UTC)'],
    rows: plan.runs.map((r, i) => [i + 1, iso(r.startMs), iso(r.endMs)]),
    notes: [
      `expected ${g(plan.expectedG)} gCO2e; had it run now ${g(plan.runNowG)} gCO2e: saving ${sig(plan.savingVsRunNowPct, 3)} %`,
      `with perfect knowledge (oracle) ${g(plan.oracleG)} gCO2e in ${plan.oracleRegion}; realised under the actual signal ${g(plan.realisedG)} gCO2e`,
      `signal: ${signal.source}`,
    ],
  };
}

async function simulateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(SIMULATE_FLAGS, argv);
  if (values.help || !values.jobs) {
    io.out(
      `greenprint schedule simulate --jobs <csv> [flags]\n\nPlans each job at its arrival with what the forecaster knew then, and scores it on the trace.\n\n${helpFor(SIMULATE_FLAGS)}`,
    );
    return values.help ? 0 : 2;
  }
  const series = tracesFrom(values.trace as string[] | undefined);
  const forecaster = forecasterOf(values.forecaster);
  const windowMs = durationOf(values.window ?? '24h', '--window');
  const rows = parseCsv(readFileSync(String(values.jobs), 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const totals = { jobs: 0, skipped: 0, runNowG: 0, realisedG: 0, oracleG: 0 };
  const skipped: string[] = [];
  const signals = traceSignals(series, forecaster ? { forecaster } : {});
  for (const [i, row] of rows.entries()) {
    const line = i + 2;
    try {
      const arrival = isoMs(row.arrival_time ?? row.arrival ?? '', `line ${line} arrival_time`);
      const durationMs = Number(row.duration_minutes) * 60_000;
      if (!(durationMs > 0))
        throw new GreenprintError('invalid_input', `line ${line}: duration_minutes must be > 0.`);
      const regions = values.regions
        ? listOf(values.regions)
        : [row.region || ([...series.keys()][0] as string)];
      const job: Job = {
        id: row.job_id ?? String(line),
        energyKwh: row.energy_kwh ? Number(row.energy_kwh) : durationMs / 3_600_000,
        durationMs,
        earliestStartMs: arrival,
        deadlineMs: row.deadline ? isoMs(row.deadline, `line ${line} deadline`) : arrival + windowMs,
        regions,
        interruptible: values.interruptible === true,
      };
      const believed = new Map<string, Series>();
      for (const zone of regions) {
        if (!series.has(zone))
          throw new GreenprintError('unknown_region', `line ${line}: no trace for zone "${zone}".`);
        const seen = await signals.forecast(zone, arrival, job.deadlineMs);
        if (!seen) {
          throw new GreenprintError(
            'invalid_input',
            `line ${line}: the trace for zone "${zone}" does not cover the job's window and the history before it.`,
          );
        }
        believed.set(zone, seen);
      }
      const plan = planJob(job, believed, { actual: series, nowMs: arrival });
      totals.jobs++;
      totals.runNowG += plan.runNowG;
      totals.realisedG += plan.realisedG;
      totals.oracleG += plan.oracleG;
      if (io.progress && (i + 1) % 250 === 0) io.err(`\rPlanned ${i + 1} of ${rows.length} jobs`);
    } catch (error) {
      if (!(error instanceof GreenprintError)) throw error;
      totals.skipped++;
      if (skipped.length < 10) skipped.push(error.message);
    }
  }
  if (io.progress && rows.length >= 250) io.err(`\rPlanned ${rows.length} of ${rows.length} jobs\n`);
  const saving = (g: number) => (totals.runNowG > 0 ? (100 * (totals.runNowG - g)) / totals.runNowG : 0);
  const result = {
    ...totals,
    forecaster: forecaster?.name ?? 'oracle',
    savingPct: saving(totals.realisedG),
    oracleSavingPct: saving(totals.oracleG),
    shareOfOracle:
      totals.runNowG - totals.oracleG > 0
        ? (totals.runNowG - totals.realisedG) / (totals.runNowG - totals.oracleG)
        : 1,
  };
  if (values.json) {
    io.out(JSON.stringify({ ...result, skippedReasons: skipped }, null, 2));
    return 0;
  }
  io.out(
    render(
      {
        title: `Simulated ${totals.jobs} jobs (${result.forecaster})`,
        columns: ['', 'gCO2e', 'saving vs run-now'],
        rows: [
          ['run now', sig(totals.runNowG, 4), '—'],
          ['planned (realised)', sig(totals.realisedG, 4), `${sig(result.savingPct, 3)} %`],
          ['oracle', sig(totals.oracleG, 4), `${sig(result.oracleSavingPct, 3)} %`],
        ],
        notes: [
          `planned reached ${sig(100 * result.shareOfOracle, 3)} % of the oracle's saving`,
          ...(totals.skipped > 0 ? [`${totals.skipped} jobs skipped: ${skipped.join(' | ')}`] : []),
        ],
      },
      'table',
    ),
  );
  return 0;
}

function signalsFrom(values: Record<string, unknown>): {
  signals: PlanningSignals;
  forecaster: Forecaster | undefined;
} {
  const forecaster = forecasterOf(values.forecaster);
  const given = values.trace as string[] | undefined;
  const series = tracesFrom(given);
  return {
    signals: traceSignals(series, { replay: !given?.length, ...(forecaster ? { forecaster } : {}) }),
    forecaster,
  };
}

function tracesFrom(flags: string[] | undefined): ReadonlyMap<string, Series> {
  if (!flags?.length) return shippedSeries();
  const series = new Map<string, Series>();
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at < 1)
      throw new GreenprintError(
        'invalid_input',
        `--trace must be ZONE=path, e.g. --trace DE=de.csv; got "${flag}".`,
      );
    const zone = flag.slice(0, at).toUpperCase();
    const path = flag.slice(at + 1);
    const trace = readTrace(path, zone, schedulingColumn(path));
    series.set(zone, seriesFromTrace({ ...trace, zone }));
  }
  return series;
}

function forecasterOf(raw: unknown): Forecaster | undefined {
  const name = String(raw ?? DEFAULT_FORECASTER);
  if (name === 'oracle') return undefined;
  if (!(FORECASTER_NAMES as readonly string[]).includes(name)) {
    throw new GreenprintError(
      'invalid_input',
      `--forecaster must be one of ${FORECASTER_CHOICES.join(', ')}; got "${name}".`,
    );
  }
  return forecasterNamed(name as ForecasterName);
}

function energyKwhOf(values: Record<string, string | boolean | string[] | undefined>): number {
  if (values['energy-kwh'] !== undefined) {
    const kwh = Number(values['energy-kwh']);
    if (!(kwh > 0))
      throw new GreenprintError(
        'invalid_input',
        `--energy-kwh must be a number > 0; got "${values['energy-kwh']}".`,
      );
    return kwh;
  }
  if (!values.model) {
    throw new GreenprintError(
      'invalid_input',
      'Give the job’s energy: --energy-kwh, or --model with --input-tokens/--output-tokens (and --requests).',
    );
  }
  const requests = Number(values.requests ?? 1);
  if (!(Number.isInteger(requests) && requests > 0)) {
    throw new GreenprintError(
      'invalid_input',
      `--requests must be a whole number > 0; got "${values.requests}".`,
    );
  }
  const { event } = eventFromFlags(values);
  const impact = createEstimator(loadReferenceData()).estimate(event);
  return (impact.energyWh.mid * requests) / 1000;
}

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function durationOf(raw: unknown, flag: string): number {
  const m = DURATION.exec(String(raw).trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms > 0))
    throw new GreenprintError(
      'invalid_input',
      `${flag} must be a duration such as 30m, 2h or 1.5d; got "${raw}".`,
    );
  return ms;
}

function isoMs(raw: string, what: string): number {
  const ms = utcMs(raw);
  if (!Number.isFinite(ms))
    throw new GreenprintError(
      'invalid_input',
      `${what} must be an ISO-8601 time such as 2026-11-26T22:00:00Z; got "${raw}".`,
    );
  return ms;
}

function listOf(raw: unknown): string[] {
  return String(raw)
    .split(',')
    .map((z) => z.trim().toUpperCase())
    .filter(Boolean);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
