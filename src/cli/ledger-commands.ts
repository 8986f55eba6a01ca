import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createEstimator, GreenprintError, type UsageEvent } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { IMPORT_FORMATS, type ImportFormat, parseMapFlags, readEvents } from '../ingest/index.js';
import {
  DATABASE_ENV,
  GROUP_BY,
  type GroupBy,
  inventory,
  Ledger,
  processMap,
  type ReportQuery,
  report,
  resolveDatabaseUrl,
  SCI_UNITS,
  type SciUnit,
  sci,
} from '../ledger/index.js';
import { type FlagSpec, helpFor, parseFlags } from './args.js';
import {
  FORMATS,
  type Format,
  inventoryTable,
  processTable,
  render,
  reportCsvTable,
  reportTable,
  sciTable,
  type Tabular,
} from './tables.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** True when stderr is a terminal: progress is drawn only then. */
  progress: boolean;
}

const DB_FLAG = {
  type: 'string',
  help: `Ledger database: SQLite path or postgres:// URL (default ${DATABASE_ENV} or ./.greenprint/ledger.db)`,
} as const;

export const IMPORT_FLAGS = {
  format: { type: 'string', help: `File format: ${IMPORT_FORMATS.join(', ')} (default: detected)` },
  map: {
    type: 'string',
    multiple: true,
    help: 'CSV column mapping col=field (repeatable), e.g. --map prompt_tokens=inputTokens',
  },
  project: { type: 'string', help: 'Project for rows that name none' },
  pipeline: { type: 'string', help: 'Pipeline for rows that name none' },
  stage: { type: 'string', help: 'Stage for rows that name none' },
  provider: { type: 'string', help: 'Provider for rows that name none' },
  region: { type: 'string', help: 'Region for rows that name none' },
  batch: { type: 'string', help: 'Events per transaction (default 5000)' },
  strict: { type: 'boolean', help: 'Exit with code 1 when any row is rejected' },
  db: DB_FLAG,
  json: { type: 'boolean', help: 'Print the summary as JSON' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const satisfies FlagSpec;

export const REPORT_FLAGS = {
  from: { type: 'string', help: 'Start, inclusive (ISO date or date-time)' },
  to: { type: 'string', help: 'End, exclusive (ISO date or date-time)' },
  by: { type: 'string', multiple: true, help: `Group by (repeat or comma-separate): ${GROUP_BY.join(', ')}` },
  view: { type: 'string', help: 'totals (default), inventory (GHG Protocol), sci, process (pipeline map)' },
  unit: { type: 'string', help: `SCI functional unit: ${SCI_UNITS.join(', ')} (default call)` },
  format: { type: 'string', help: `Output: ${FORMATS.join(', ')} (default table)` },
  out: { type: 'string', help: 'Write to this file instead of standard output' },
  project: { type: 'string', help: 'Only this project' },
  pipeline: { type: 'string', help: 'Only this pipeline' },
  stage: { type: 'string', help: 'Only this stage' },
  model: { type: 'string', help: 'Only this model' },
  provider: { type: 'string', help: 'Only this provider' },
  region: { type: 'string', help: 'Only this grid zone' },
  db: DB_FLAG,
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const satisfies FlagSpec;

export const RECOMPUTE_FLAGS = {
  db: DB_FLAG,
  json: { type: 'boolean', help: 'Print JSON' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const satisfies FlagSpec;

async function openFromFlags(db: unknown): Promise<Ledger> {
  return Ledger.open({
    url: resolveDatabaseUrl(typeof db === 'string' ? db : undefined),
    estimator: createEstimator(loadReferenceData()),
  });
}

export interface ImportSummary {
  file: string;
  format: ImportFormat | 'detected';
  rows: number;
  imported: number;
  duplicates: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  seconds: number;
  eventsPerSecond: number;
  ledger: string;
}

const MAX_REPORTED_ERRORS = 1000;

/** `greenprint import <file>`: streams the file into the ledger in transactions of `--batch` events. */
export async function importCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(IMPORT_FLAGS, argv, 1);
  if (values.help) {
    io.out(
      `greenprint import <file> [flags]\n\nJSONL usage events, CSV (see --map), OpenAI usage exports, invoices.\n\n${helpFor(IMPORT_FLAGS)}`,
    );
    return 0;
  }
  const file = positionals[0];
  if (!file)
    throw new GreenprintError('invalid_input', 'Missing the file to import: greenprint import <file>.');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new GreenprintError('invalid_input', `Cannot read "${file}": no such file.`);
  }
  const format = values.format as string | undefined;
  if (format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new GreenprintError(
      'invalid_input',
      `--format must be one of ${IMPORT_FORMATS.join(', ')}; got "${format}".`,
    );
  }
  const batchSize = values.batch === undefined ? 5000 : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new GreenprintError('invalid_input', `--batch must be a whole number ≥ 1; got "${values.batch}".`);
  const defaults: Partial<UsageEvent> = {};
  for (const k of ['project', 'pipeline', 'stage', 'provider', 'region'] as const) {
    if (typeof values[k] === 'string') defaults[k] = values[k] as string;
  }
  const map = Array.isArray(values.map) ? parseMapFlags(values.map as string[]) : undefined;

  const ledger = await openFromFlags(values.db);
  const started = performance.now();
  const summary: ImportSummary = {
    file,
    format: (format as ImportFormat | undefined) ?? 'detected',
    rows: 0,
    imported: 0,
    duplicates: 0,
    rejected: 0,
    errors: [],
    seconds: 0,
    eventsPerSecond: 0,
    ledger: ledger.location,
  };
  const reject = (line: number, reason: string) => {
    summary.rejected++;
    if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ line, reason });
  };
  const progress = io.progress ? progressBar(io, size, averageLineBytes(file)) : undefined;
  try {
    let batch: UsageEvent[] = [];
    let lines: number[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await ledger.record(batch);
      summary.imported += result.inserted;
      summary.duplicates += result.duplicates;
      for (const r of result.rejected) reject(lines[r.index] ?? 0, r.reason);
      batch = [];
      lines = [];
      progress?.(summary.rows);
    };
    for await (const item of readEvents(file, {
      ...(format ? { format: format as ImportFormat } : {}),
      ...(map ? { map } : {}),
      defaults,
    })) {
      summary.rows++;
      if (item.error !== undefined || !item.event) {
        reject(item.line, item.error ?? 'no event');
        continue;
      }
      batch.push(item.event);
      lines.push(item.line);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    progress?.(summary.rows, true);
    await ledger.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  summary.eventsPerSecond = summary.rows / Math.max(summary.seconds, 1e-9);
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2));
  } else {
    io.out(
      `Imported ${summary.imported} events from ${file} into ${summary.ledger}: ${summary.rows} rows read, ` +
        `${summary.duplicates} already in the ledger, ${summary.rejected} rejected (${summary.seconds.toFixed(2)} s, ${Math.round(summary.eventsPerSecond)} rows/s).`,
    );
    for (const e of summary.errors.slice(0, 20)) io.err(`  line ${e.line}: ${e.reason}`);
    if (summary.rejected > 20)
      io.err(
        `  … and ${summary.rejected - 20} more rejected rows (use --json for up to ${MAX_REPORTED_ERRORS}).`,
      );
  }
  return values.strict && summary.rejected > 0 ? 1 : 0;
}

/** Bytes per line in the first 64 KiB, to turn a row count into a share of the file. */
function averageLineBytes(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const newlines = buf.subarray(0, n).reduce((c, b) => c + (b === 10 ? 1 : 0), 0);
    return newlines > 0 ? n / newlines : n || 1;
  } finally {
    closeSync(fd);
  }
}

function progressBar(io: Io, size: number, bytesPerLine: number): (rows: number, done?: boolean) => void {
  const started = performance.now();
  let last = 0;
  return (rows, done = false) => {
    const now = performance.now();
    if (!done && now - last < 200) return;
    last = now;
    const share = done ? 1 : Math.min(0.99, (rows * bytesPerLine) / Math.max(size, 1));
    const width = 30;
    const filled = Math.round(share * width);
    const rate = rows / Math.max((now - started) / 1000, 1e-9);
    io.err(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${rows} rows  ${Math.round(rate)}/s${done ? '\n' : ''}`,
    );
  };
}

/** `greenprint report`: totals, GHG inventory, SCI or the process map, from the rollups. */
export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(REPORT_FLAGS, argv);
  if (values.help) {
    io.out(`greenprint report [flags]\n\n${helpFor(REPORT_FLAGS)}`);
    return 0;
  }
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format))
    throw new GreenprintError(
      'invalid_input',
      `--format must be one of ${FORMATS.join(', ')}; got "${format}".`,
    );
  const by = ((values.by as string[] | undefined) ?? [])
    .flatMap((b) => b.split(','))
    .filter(Boolean) as GroupBy[];
  const where: ReportQuery['where'] = {};
  for (const k of ['project', 'pipeline', 'stage', 'model', 'provider', 'region'] as const) {
    if (typeof values[k] === 'string') where[k] = values[k] as string;
  }
  const query: ReportQuery = {
    ...(typeof values.from === 'string' ? { from: values.from } : {}),
    ...(typeof values.to === 'string' ? { to: values.to } : {}),
    by,
    where,
  };
  const view = (values.view ?? 'totals') as string;
  const ledger = await openFromFlags(values.db);
  let data: unknown;
  let table: Tabular;
  try {
    switch (view) {
      case 'totals': {
        const rep = await report(ledger, query);
        data = rep;
        table = format === 'csv' ? reportCsvTable(rep) : reportTable(rep);
        break;
      }
      case 'inventory': {
        const inv = await inventory(ledger, query);
        data = inv;
        table = inventoryTable(inv);
        break;
      }
      case 'sci': {
        const unit = (values.unit ?? 'call') as SciUnit;
        const rows = await sci(ledger, unit, query);
        data = rows;
        table = sciTable(rows);
        break;
      }
      case 'process': {
        const maps = await processMap(ledger, where);
        data = maps;
        table = processTable(maps);
        break;
      }
      default:
        throw new GreenprintError(
          'invalid_input',
          `--view must be one of totals, inventory, sci, process; got "${view}".`,
        );
    }
  } finally {
    await ledger.close();
  }
  const text = format === 'json' ? JSON.stringify(data, null, 2) : render(table, format);
  if (typeof values.out === 'string') {
    writeFileSync(values.out, `${text}\n`);
    io.err(`Wrote ${values.out}`);
  } else {
    io.out(text);
  }
  return 0;
}

/** `greenprint recompute`: re-estimates stored events with the current methodology and reports what moved. */
export async function recomputeCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(RECOMPUTE_FLAGS, argv);
  if (values.help) {
    io.out(
      `greenprint recompute [flags]\n\nRe-estimates every stored event with the current methodology and rebuilds the rollups.\n\n${helpFor(RECOMPUTE_FLAGS)}`,
    );
    return 0;
  }
  const ledger = await openFromFlags(values.db);
  let result: Awaited<ReturnType<Ledger['recompute']>>;
  try {
    result = await ledger.recompute(
      io.progress ? (done) => io.err(`\rrecomputed ${done} events`) : undefined,
    );
  } finally {
    await ledger.close();
  }
  if (io.progress) io.err('\n');
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const pct = (a: number, b: number) =>
    a === 0 ? (b === 0 ? '0%' : 'n/a') : `${(((b - a) / a) * 100).toFixed(2)}%`;
  io.out(
    [
      `Recomputed ${result.events} events: ${result.changed} changed, ${result.failed.length} could not be estimated.`,
      `  energy  ${result.before.energyWhMid.toFixed(3)} → ${result.after.energyWhMid.toFixed(3)} Wh (${pct(result.before.energyWhMid, result.after.energyWhMid)})`,
      `  carbon  ${result.before.carbonGMid.toFixed(3)} → ${result.after.carbonGMid.toFixed(3)} gCO2e (${pct(result.before.carbonGMid, result.after.carbonGMid)})`,
      `  water   ${result.before.waterMlMid.toFixed(3)} → ${result.after.waterMlMid.toFixed(3)} mL (${pct(result.before.waterMlMid, result.after.waterMlMid)})`,
      ...result.failed.slice(0, 20).map((f) => `  ${f.id}: ${f.reason}`),
    ].join('\n'),
  );
  return 0;
}

export const SERVE_FLAGS = {
  host: {
    type: 'string',
    help: 'Address to listen on (default: server.host in greenprint.yaml, else 127.0.0.1)',
  },
  port: { type: 'string', help: 'Port (default: server.port in greenprint.yaml, else 8787)' },
  config: {
    type: 'string',
    help: 'Gateway config (default GREENPRINT_CONFIG, else ./greenprint.yaml when present)',
  },
  db: DB_FLAG,
  demo: {
    type: 'boolean',
    help: 'First run: a simulated provider and 14 days of a sample content pipeline plus a deferred batch, in ./.greenprint/demo.db (project "demo")',
  },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const satisfies FlagSpec;

/** Where `serve --demo` keeps its ledger unless --db names another: never the default ledger. */
const DEMO_DATABASE = './.greenprint/demo.db';

/** Records the demo workload once per ledger: a second `serve --demo` finds it there. */
async function seedDemo(ledger: Ledger, io: Io): Promise<void> {
  const { DEMO_PROJECT, runDemo } = await import('../demo/index.js');
  // The demo's batch is recorded last: with it, the seed is complete.
  const complete = await ledger.db
    .selectFrom('batches')
    .select('id')
    .where('project', '=', DEMO_PROJECT)
    .limit(1)
    .executeTakeFirst();
  if (complete) {
    io.out(`Demo data already in ${ledger.location} (project "${DEMO_PROJECT}").`);
    return;
  }
  const partial = await ledger.db
    .selectFrom('events')
    .select('id')
    .where('project', '=', DEMO_PROJECT)
    .limit(1)
    .executeTakeFirst();
  if (partial) {
    io.err(
      `The demo in ${ledger.location} was interrupted before it finished; delete that file and run serve --demo again for the full demo.`,
    );
    return;
  }
  const result = await runDemo({
    ledger,
    onProgress: (done, total) => {
      if (io.progress) io.err(`\rDemo: pipeline run ${done} of ${total}${done === total ? '\n' : ''}`);
    },
  });
  const plan = result.batch.greenprint.plan;
  io.out(
    `Demo: ${result.events} calls over ${result.runs} pipeline runs through the gateway to a simulated provider; ` +
      `one batch planned into ${plan?.zone ?? '—'} at ${plan ? new Date(plan.start_at * 1000).toISOString() : '—'} (${result.batch.status}).`,
  );
}

/** `greenprint serve`: dashboard, gateway, OTLP receiver and ledger API until SIGINT/SIGTERM. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(SERVE_FLAGS, argv);
  if (values.help) {
    io.out(
      `greenprint serve [flags]\n\nThe dashboard (http://127.0.0.1:8787/), the OpenAI-compatible gateway (upstreams from greenprint.yaml)\nwith the Batch API, the OTLP/HTTP receiver (POST /v1/traces) and the ledger API\n(GET /v1/ledger/report|inventory|sci|process). Beyond 127.0.0.1 every route needs a key from greenprint.yaml.\n\n${helpFor(SERVE_FLAGS)}`,
    );
    return 0;
  }
  const {
    loadGatewayConfig,
    parseGatewayConfig,
    createGateway,
    configuredPolicies,
    SpoolingSink,
    startLedgerThread,
    authenticate,
  } = await import('../gateway/index.js');
  let config = loadGatewayConfig(typeof values.config === 'string' ? values.config : undefined);
  const demo = values.demo === true;
  // The demo keeps a simulated provider up as the gateway's upstream, so the gateway can be tried too.
  const simulated =
    demo && config.upstreams.length === 0
      ? await (await import('../demo/index.js')).startSimulatedProvider()
      : undefined;
  if (simulated) {
    const upstream = {
      name: 'simulated',
      baseUrl: simulated.baseUrl,
      provider: 'openai',
      region: 'DE',
      models: ['*'],
    };
    config = parseGatewayConfig({ ...config, upstreams: [upstream] });
  }
  const port = values.port === undefined ? config.server.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new GreenprintError('invalid_input', `--port must be 0–65535; got "${values.port}".`);
  }
  const host = typeof values.host === 'string' ? values.host : config.server.host;
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!loopback && config.keys.length === 0) {
    throw new GreenprintError(
      'invalid_input',
      `Listening on ${host} needs API keys: add keys (sha256 hashes) to greenprint.yaml, or serve on 127.0.0.1.`,
    );
  }
  const db = values.db ?? (demo ? DEMO_DATABASE : undefined);
  const ledger = await openFromFlags(db);
  if (demo) await seedDemo(ledger, io);
  // The spool writes to the ledger from a thread of its own, so SQLite never holds up a request.
  const writer = startLedgerThread({ url: resolveDatabaseUrl(typeof db === 'string' ? db : undefined) });
  const sink = new SpoolingSink({
    record: (events) => writer.record(events),
    spoolPath: config.spool,
    onError: (e) => io.err(`ledger write failed, events kept in ${config.spool}: ${e.message}`),
  });
  const configured = await configuredPolicies(config, {
    estimator: ledger.estimator,
    onError: (e) => io.err(`greenprint: ${e.message}`),
  });
  const gateway =
    config.upstreams.length > 0
      ? createGateway({
          config,
          estimator: ledger.estimator,
          sink,
          requireKey: !loopback,
          policies: configured.policies,
          observers: configured.observers,
        })
      : undefined;
  // One set of carbon-intensity signals, when there is a Batch API to plan on it; the dashboard draws
  // the same (without one it reads the shipped sample on its first Scheduler page).
  const signals = gateway
    ? (await import('../scheduler/configuredSignals.js')).configuredSignals(config.scheduler)
    : undefined;
  // The Batch API runs its requests through the gateway, so it needs upstreams too.
  const batches = gateway
    ? await (await import('../batch/index.js')).startBatchApi({
        config,
        ledger,
        gateway,
        requireKey: !loopback,
        ...(signals ? { signals } : {}),
        onError: (e) => io.err(`greenprint: batch queue: ${e.message}`),
      })
    : undefined;
  const { createServer } = await import('node:http');
  const { createApp, requestListener } = await import('../server/app.js');
  const { dashboardRoutes, dashboardAccessFor } = await import('../dashboard/index.js');
  const dashboard = dashboardRoutes({
    ledger,
    estimator: ledger.estimator,
    ...(signals ? { signals } : {}),
    // Gateway keys open the dashboard too: an admin key sees every project, a read key its own.
    access: dashboardAccessFor(
      host,
      config.keys.map((k) => ({
        sha256: k.sha256,
        role: k.role,
        ...(k.role === 'admin' ? {} : { project: k.project }),
      })),
    ),
  });
  const app = createApp({
    ledger,
    ...(gateway ? { gateway } : {}),
    routes: [...(batches ? [batches.routes] : []), dashboard],
    ...(loopback ? {} : { auth: authenticate({ keys: config.keys, requireKey: true }) }),
  });
  await new Promise<void>((resolve) => {
    // The gateway's proxied routes on node:http directly, everything else through the Hono app.
    const server = createServer(requestListener(app, gateway));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      io.out(
        `Greenprint listening on http://${host}:${bound} (ledger: ${ledger.location}; ` +
          `${gateway ? `gateway for ${config.upstreams.map((u) => u.name).join(', ')}, Batch API at /v1/batches` : 'no upstreams configured'}; OTLP at /v1/traces)`,
      );
      io.out(
        `Dashboard: http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/${demo ? '  (demo data: project "demo")' : ''}`,
      );
    });
    const stop = () => {
      server.close(() => {
        void (batches?.close() ?? Promise.resolve())
          .then(() => sink.close())
          .then(() => writer.close())
          .then(() => configured.close())
          .then(() => ledger.close())
          .then(() => simulated?.close())
          .then(resolve);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
