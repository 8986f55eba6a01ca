/**
 * npm run bench:ledger [-- --events 1000000] [-- --json] [-- --sqlite-only]
 * Ingests N realistic synthetic usage events into a fresh SQLite ledger and a fresh PostgreSQL schema
 * (127.0.0.1:5432, database test), then times grouped reports over them. Baseline, in the same
 * process: the same events stored by the bare driver as (id, event_json) rows with no estimate and no
 * rollups — the floor any ledger pays. Measures the compiled package (the npm script builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createEstimator, type UsageEvent } from '../dist/core/index.js';
import { loadReferenceData } from '../dist/data/index.js';
import { Ledger, report } from '../dist/ledger/index.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(arg('--events') ?? 1_000_000);
const BATCH = 5000;
const PG_URL = process.env.GREENPRINT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const json = args.includes('--json');
const log = (s: string) => {
  if (!json) process.stderr.write(s);
};

// A content business: 6 projects, pipelines of stages each bound to a model, over 30 days.
const PIPELINES: { pipeline: string; stages: [string, Partial<UsageEvent>][] }[] = [
  {
    pipeline: 'product-launch',
    stages: [
      ['brief', { requestModel: 'gpt-4o', provider: 'openai' }],
      ['script', { requestModel: 'claude-sonnet-4-5', provider: 'anthropic' }],
      [
        'storyboard',
        {
          requestModel: 'stabilityai/stable-diffusion-xl-base-1.0',
          operation: 'image_generation',
          deployment: 'self_hosted',
          provider: 'self_hosted',
        },
      ],
      ['voice-over', { requestModel: 'tts-1', provider: 'openai' }],
      ['captions', { requestModel: 'whisper-1', provider: 'openai' }],
    ],
  },
  {
    pipeline: 'catalogue',
    stages: [
      ['embed', { requestModel: 'text-embedding-3-small', provider: 'openai' }],
      ['describe', { requestModel: 'gpt-4o-mini', provider: 'openai' }],
      [
        'translate',
        {
          requestModel: 'meta-llama/Llama-3.1-8B-Instruct',
          deployment: 'self_hosted',
          provider: 'self_hosted',
        },
      ],
      ['review', { requestModel: 'gpt-4o-mini', provider: 'openai' }],
    ],
  },
];
const REGIONS = ['us-east-1', 'eu-west-1', 'DE', 'FR', 'eu-north-1', 'US-CAL-CISO'];
const START = Date.parse('2024-06-01T00:00:00Z');
const SPAN_MS = 30 * 86_400_000;

function eventAt(i: number): UsageEvent {
  const p = PIPELINES[i % 7 < 4 ? 0 : 1] as (typeof PIPELINES)[number];
  const run = Math.floor(i / 9);
  const [stage, model] = p.stages[i % p.stages.length] as [string, Partial<UsageEvent>];
  const ts = START + Math.floor((i / N) * SPAN_MS);
  // Each project runs in one region, as real deployments do.
  const project = `project-${run % 6}`;
  const base = {
    // Time-ordered ids, as the gateway issues them.
    id: `bench_${ts.toString(36)}_${i.toString(36)}`,
    startTime: new Date(ts).toISOString(),
    project,
    pipeline: p.pipeline,
    stage,
    run: `run-${run}`,
    region: REGIONS[run % 6] as string,
    ...model,
  } as UsageEvent;
  switch (model.requestModel) {
    case 'stabilityai/stable-diffusion-xl-base-1.0':
      return { ...base, images: { count: 1 + (i % 4), steps: 30 } };
    case 'tts-1':
      return { ...base, audio: { characters: 400 + (i % 1200) } };
    case 'whisper-1':
      return { ...base, audio: { seconds: 30 + (i % 300) } };
    case 'text-embedding-3-small':
      return { ...base, inputTokens: 200 + (i % 2000) };
    default:
      return {
        ...base,
        inputTokens: 300 + ((i * 37) % 4000),
        outputTokens: 50 + ((i * 13) % 900),
        cachedInputTokens: i % 5 === 0 ? 256 : 0,
      };
  }
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

interface Result {
  dialect: string;
  events: number;
  baselinePerSecond: number;
  ledgerPerSecond: number;
  reports: { name: string; ms: number }[];
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

async function medianMs(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push((await time(fn))[0]);
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
}

/**
 * Two batches in flight: the next batch is estimated while the database works on the previous one
 * (PostgreSQL runs in its own process; SQLite is in-process, so it gains nothing there).
 */
async function ingest(ledger: Ledger, label: string): Promise<number> {
  const t0 = performance.now();
  let inflight: Promise<unknown> | undefined;
  for (let s = 0; s < N; s += BATCH) {
    const batch: UsageEvent[] = [];
    for (let i = s; i < Math.min(N, s + BATCH); i++) batch.push(eventAt(i));
    const next = ledger.record(batch).then((r) => {
      if (r.rejected.length) throw new Error(`rejected: ${r.rejected[0]?.reason}`);
    });
    await inflight;
    inflight = next;
    if ((s / BATCH) % 20 === 0) log(`\r${label}: ${s + batch.length}/${N}`);
  }
  await inflight;
  log('\n');
  return N / ((performance.now() - t0) / 1000);
}

async function baselineSqlite(dir: string): Promise<number> {
  const db = new SQLite(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table events (id text primary key, event_json text not null)');
  const stmt = db.prepare('insert into events (id, event_json) values (?, ?) on conflict (id) do nothing');
  const tx = db.transaction((rows: UsageEvent[]) => {
    for (const e of rows) stmt.run(e.id, JSON.stringify(e));
  });
  let spent = 0;
  for (let s = 0; s < N; s += BATCH) {
    const batch: UsageEvent[] = [];
    for (let i = s; i < Math.min(N, s + BATCH); i++) batch.push(eventAt(i));
    const t0 = performance.now();
    tx(batch);
    spent += performance.now() - t0;
  }
  db.close();
  return N / (spent / 1000);
}

async function baselinePostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('create table baseline (id text primary key, event_json text not null)');
  let spent = 0;
  for (let s = 0; s < N; s += BATCH) {
    const batch: UsageEvent[] = [];
    for (let i = s; i < Math.min(N, s + BATCH); i++) batch.push(eventAt(i));
    const t0 = performance.now();
    await client.query(
      'insert into baseline (id, event_json) select * from unnest($1::text[], $2::text[]) on conflict (id) do nothing',
      [batch.map((e) => e.id), batch.map((e) => JSON.stringify(e))],
    );
    spent += performance.now() - t0;
  }
  await client.end();
  return N / (spent / 1000);
}

async function reports(ledger: Ledger): Promise<Result['reports']> {
  return [
    { name: 'total', ms: await medianMs(() => report(ledger)) },
    { name: 'by stage', ms: await medianMs(() => report(ledger, { by: ['stage'] })) },
    { name: 'by model, day', ms: await medianMs(() => report(ledger, { by: ['model', 'day'] })) },
    { name: 'by scope, month', ms: await medianMs(() => report(ledger, { by: ['scope', 'month'] })) },
    {
      name: 'by project, pipeline, stage (one week)',
      ms: await medianMs(() =>
        report(ledger, { by: ['project', 'pipeline', 'stage'], from: '2024-06-08', to: '2024-06-15' }),
      ),
    },
  ];
}

const estimator = createEstimator(loadReferenceData());
const results: Result[] = [];

{
  const dir = mkdtempSync(join(tmpdir(), 'gp-bench-'));
  try {
    const baselinePerSecond = await baselineSqlite(dir);
    const ledger = await Ledger.open({ url: join(dir, 'ledger.db'), estimator });
    const ledgerPerSecond = await ingest(ledger, 'sqlite');
    results.push({
      dialect: 'sqlite',
      events: N,
      baselinePerSecond,
      ledgerPerSecond,
      reports: await reports(ledger),
    });
    await ledger.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!args.includes('--sqlite-only')) {
  const schema = `gp_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const url = `${PG_URL}?options=-c%20search_path%3D${schema}`;
  try {
    const baselinePerSecond = await baselinePostgres(url);
    const ledger = await Ledger.open({ url, estimator });
    const ledgerPerSecond = await ingest(ledger, 'postgres');
    results.push({
      dialect: 'postgres',
      events: N,
      baselinePerSecond,
      ledgerPerSecond,
      reports: await reports(ledger),
    });
    await ledger.close();
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
}

clearInterval(sampler);
const targets: Record<string, number> = { sqlite: 100_000, postgres: 20_000 };
if (json) {
  console.log(
    JSON.stringify(
      { events: N, peakRssMb: peakRss / 2 ** 20, targets, reportTargetMs: 200, results },
      null,
      2,
    ),
  );
} else {
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `\nLedger ingest, ${N.toLocaleString('en-US')} synthetic events (estimate + store + rollups), one process`,
  );
  console.log(
    `${'dialect'.padEnd(10)}${'baseline ev/s'.padStart(15)}${'ledger ev/s'.padStart(14)}${'× baseline'.padStart(12)}${'target ev/s'.padStart(13)}${'× target'.padStart(10)}`,
  );
  for (const r of results) {
    const t = targets[r.dialect] ?? 1;
    console.log(
      `${r.dialect.padEnd(10)}${f(r.baselinePerSecond).padStart(15)}${f(r.ledgerPerSecond).padStart(14)}${(r.ledgerPerSecond / r.baselinePerSecond).toFixed(2).padStart(12)}${f(t).padStart(13)}${(r.ledgerPerSecond / t).toFixed(2).padStart(10)}`,
    );
  }
  console.log(`\nReport latency over the rollups (median of 5; target ≤ 200 ms)`);
  console.log(`${'report'.padEnd(42)}${results.map((r) => `${r.dialect} ms`.padStart(14)).join('')}`);
  for (let i = 0; i < (results[0]?.reports.length ?? 0); i++) {
    console.log(
      `${(results[0]?.reports[i]?.name ?? '').padEnd(42)}${results.map((r) => (r.reports[i]?.ms ?? 0).toFixed(1).padStart(14)).join('')}`,
    );
  }
  console.log(
    `\nPeak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MB (target < 500 MB). Baseline: (id, event_json) rows by the bare driver, no estimate, no rollups.`,
  );
}
