/**
 * npm run bench:gateway [-- --json] [-- --requests 3000] [-- --seconds 5] [-- --ttfb 300] [-- --skip-portkey]
 *
 * Side by side, in one run, on this machine: an OpenAI-style client calling a local fake upstream
 * directly, through Greenprint (footprint headers on, every call written to a real SQLite ledger
 * through the spooling sink, as `greenprint serve` runs it), and through the Portkey gateway
 * (`npx @portkey-ai/gateway --headless`, pointed at the same fake with `x-portkey-provider: openai`
 * and `x-portkey-custom-host`; non-streaming only, its streaming fails on Node 20).
 * Reports added latency at concurrency 1 (interleaved with direct calls, same run), saturation
 * throughput and p99 at concurrency 8 and 32, CPU seconds per 1,000 requests and RSS of each
 * gateway process, and the time-to-first-byte overhead of a stream (Greenprint vs direct).
 * Fake upstream, Greenprint and Portkey each run in a process of their own; the load generator
 * (undici, keep-alive) runs here. Measures the compiled package (the npm script builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Answer,
  call,
  firstByte,
  interleaved,
  percentile,
  type Samples,
  type Saturation,
  saturate,
  type Target,
  target,
} from './lib/gateway-load.js';
import {
  type Child,
  cpuSeconds,
  memoryMb,
  type Portkey,
  removeOnExit,
  startPortkey,
  startScript,
  stopAll,
} from './lib/gateway-proc.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
};
const json = args.includes('--json');
const REQUESTS = arg('--requests', 3000);
const WARMUP = 300;
const SECONDS = arg('--seconds', 5);
const TTFB_REQUESTS = arg('--ttfb', 300);
const STREAM_DELAY_MS = 10;
const CONCURRENCY = [8, 32] as const;
const log = (s: string) => {
  if (!json) process.stderr.write(s);
};

const TARGETS = { addedP50Ms: 0.3, addedP99Ms: 1.5, throughputVsPortkeyC8: 4, ttfbOverheadMs: 1 };
const CLIENT_KEY = 'gp_bench_client_key';
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say hello.' },
  ],
  max_tokens: 32,
});
const STREAM_BODY = JSON.stringify({
  ...JSON.parse(BODY),
  stream: true,
  stream_options: { include_usage: true },
});

type Name = 'direct' | 'greenprint' | 'portkey';
type PerTarget<T> = Record<Name, T | null>;

interface LatencyStats {
  n: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}
interface SaturationStats extends LatencyStats {
  concurrency: number;
  perSecond: number;
  /** CPU seconds per 1,000 requests of the process serving them (direct: the fake upstream). */
  cpuPer1k: number | null;
}
interface SinkReport {
  stats: { accepted: number; recorded: number; pending: number; ledgerUp: boolean; lastError: string | null };
  errors: string[];
}

const stats = (s: Samples): LatencyStats => ({
  n: s.ms.length,
  errors: s.errors,
  p50: percentile(s.ms, 50),
  p90: percentile(s.ms, 90),
  p99: percentile(s.ms, 99),
  mean: s.ms.reduce((a, b) => a + b, 0) / Math.max(1, s.ms.length),
});

/** Load average before the bench starts: other work on the machine makes every column noisier. */
const loadBefore = loadavg()[0] ?? 0;
const dir = mkdtempSync(join(tmpdir(), 'gp-bench-gateway-'));
removeOnExit(dir);
const pools: Target[] = [];
try {
  log('Starting the fake upstream, Greenprint and Portkey (npx) …\n');
  const portkeyStart = args.includes('--skip-portkey')
    ? Promise.reject(new Error('skipped (--skip-portkey)'))
    : startPortkey();
  portkeyStart.catch(() => {});
  const upstream = await startScript<{ port: number }>(
    new URL('./lib/gateway-upstream.ts', import.meta.url),
    dir,
    {
      GP_BENCH_STREAM_DELAY_MS: String(STREAM_DELAY_MS),
    },
  );
  const upstreamOrigin = `http://127.0.0.1:${upstream.ready.port}`;
  const greenprint = await startScript<{ port: number }>(
    new URL('./lib/gateway-server.ts', import.meta.url),
    dir,
    {
      GP_BENCH_DIR: dir,
      GP_BENCH_UPSTREAM: `${upstreamOrigin}/v1`,
      GP_BENCH_CLIENT_KEY: CLIENT_KEY,
    },
  );
  let portkey: Portkey | undefined;
  let portkeyReason: string | undefined;
  try {
    portkey = await portkeyStart;
  } catch (error) {
    portkeyReason = (error as Error).message;
  }

  const direct = target('direct', upstreamOrigin, { authorization: 'Bearer sk-bench-upstream' });
  const gp = target('greenprint', `http://127.0.0.1:${greenprint.ready.port}`, {
    authorization: `Bearer ${CLIENT_KEY}`,
    'x-greenprint-pipeline': 'bench',
    'x-greenprint-stage': 'gateway',
  });
  pools.push(direct, gp);
  let pk: Target | undefined;
  if (portkey) {
    pk = target('portkey', portkey.origin, {
      authorization: 'Bearer sk-bench-upstream',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstreamOrigin}/v1`,
    });
    pools.push(pk);
  }

  // Each path must answer as it should before anything is timed.
  const expectOk = (a: Answer, what: string) => {
    if (a.status !== 200) throw new Error(`${what}: HTTP ${a.status} ${a.body.slice(0, 300)}`);
    const usage = (JSON.parse(a.body) as { usage?: { total_tokens?: number } }).usage;
    if (usage?.total_tokens !== 59) throw new Error(`${what}: no usage in ${a.body.slice(0, 300)}`);
  };
  expectOk(await call(direct, BODY), 'direct');
  const viaGp = await call(gp, BODY);
  expectOk(viaGp, 'greenprint');
  if (!viaGp.headers['x-greenprint-energy-wh'] || viaGp.headers['x-greenprint-warning']) {
    throw new Error(`greenprint answered without a footprint: ${JSON.stringify(viaGp.headers)}`);
  }
  const gpStream = await call(gp, STREAM_BODY);
  if (gpStream.status !== 200 || !/^: greenprint \{"eventId".*"energyWh"/m.test(gpStream.body)) {
    throw new Error(`greenprint stream without its footprint comment: ${gpStream.body.slice(-400)}`);
  }
  if (pk) {
    try {
      expectOk(await call(pk, BODY), 'portkey');
    } catch (error) {
      portkeyReason = `started, but ${(error as Error).message}`;
      portkey?.stop();
      portkey = undefined;
      pools.pop();
      await pk.pool.destroy();
      pk = undefined;
    }
  }
  const targets = [direct, gp, ...(pk ? [pk] : [])];
  const pids: PerTarget<number> = {
    direct: upstream.child.pid,
    greenprint: greenprint.child.pid,
    portkey: portkey?.pid ?? null,
  };
  const flush = (child: Child) => child.ask<SinkReport>({ type: 'flush' }, 'flushed', 60_000);
  const idleMb: PerTarget<number> = {
    direct: null,
    greenprint: memoryMb(greenprint.child.pid).rss,
    portkey: portkey ? memoryMb(portkey.pid).rss : null,
  };

  /** Runs `fn`, returning CPU seconds each process used meanwhile (the ledger writes it caused included). */
  const measureCpu = async <T>(fn: () => Promise<T>): Promise<[T, PerTarget<number>]> => {
    const before = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, pid === null ? null : cpuSeconds(pid)]),
    );
    const result = await fn();
    await flush(greenprint.child);
    const used = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        pid === null ? null : cpuSeconds(pid) - (before[k] as number),
      ]),
    ) as PerTarget<number>;
    return [result, used];
  };

  log(`Warm-up: ${WARMUP} requests per path …\n`);
  await interleaved(targets, BODY, WARMUP);
  await flush(greenprint.child);

  log(`Concurrency 1: ${REQUESTS} requests per path, interleaved …\n`);
  const [c1, c1Cpu] = await measureCpu(() => interleaved(targets, BODY, REQUESTS));
  const latency: PerTarget<LatencyStats> = { direct: null, greenprint: null, portkey: null };
  const cpuC1: PerTarget<number> = { direct: null, greenprint: null, portkey: null };
  targets.forEach((t, i) => {
    const s = stats(c1[i] as Samples);
    latency[t.name as Name] = s;
    // At concurrency 1 the fake upstream served every path: its cost per request is shared.
    const cpu = c1Cpu[t.name as Name];
    if (cpu !== null)
      cpuC1[t.name as Name] = (cpu / (t.name === 'direct' ? s.n * targets.length : s.n)) * 1000;
  });

  const saturation: Record<number, PerTarget<SaturationStats>> = {};
  for (const concurrency of CONCURRENCY) {
    saturation[concurrency] = { direct: null, greenprint: null, portkey: null };
    for (const t of targets) {
      log(`Concurrency ${concurrency}: ${t.name}, ${SECONDS} s …\n`);
      await saturate(t, BODY, concurrency, 1000);
      const [run, cpu] = await measureCpu(() => saturate(t, BODY, concurrency, SECONDS * 1000));
      const s = run as Saturation;
      const used = cpu[t.name as Name];
      (saturation[concurrency] as PerTarget<SaturationStats>)[t.name as Name] = {
        ...stats(s),
        concurrency,
        perSecond: s.perSecond,
        cpuPer1k: used === null ? null : (used / Math.max(1, s.ms.length)) * 1000,
      };
    }
  }

  log(`Streaming time to first byte: ${TTFB_REQUESTS} streams per path (direct, greenprint) …\n`);
  await firstByte([direct, gp], STREAM_BODY, 30);
  const [ttfbDirect, ttfbGp] = (await firstByte([direct, gp], STREAM_BODY, TTFB_REQUESTS)).map(stats) as [
    LatencyStats,
    LatencyStats,
  ];

  const sink = await flush(greenprint.child);
  const peakMb: PerTarget<number> = {
    direct: null,
    greenprint: memoryMb(greenprint.child.pid).peak,
    portkey: portkey ? memoryMb(portkey.pid).peak : null,
  };

  const lat = latency as Record<Name, LatencyStats | null>;
  const added = (name: Name, p: 'p50' | 'p90' | 'p99') => {
    const a = lat[name];
    const d = lat.direct as LatencyStats;
    return a ? a[p] - d[p] : null;
  };
  const c8 = saturation[8] as PerTarget<SaturationStats>;
  const throughputRatio = c8.portkey
    ? (c8.greenprint as SaturationStats).perSecond / c8.portkey.perSecond
    : null;
  const checks = [
    {
      name: 'added p50 latency, concurrency 1 (ms)',
      value: added('greenprint', 'p50'),
      target: `≤ ${TARGETS.addedP50Ms}`,
      pass: (added('greenprint', 'p50') as number) <= TARGETS.addedP50Ms,
    },
    {
      name: 'added p99 latency, concurrency 1 (ms)',
      value: added('greenprint', 'p99'),
      target: `≤ ${TARGETS.addedP99Ms}`,
      pass: (added('greenprint', 'p99') as number) <= TARGETS.addedP99Ms,
    },
    {
      name: 'throughput at concurrency 8, × Portkey',
      value: throughputRatio,
      target: `≥ ${TARGETS.throughputVsPortkeyC8}`,
      pass: throughputRatio === null ? null : throughputRatio >= TARGETS.throughputVsPortkeyC8,
    },
    {
      name: 'streaming TTFB overhead, p50 (ms)',
      value: ttfbGp.p50 - ttfbDirect.p50,
      target: `≤ ${TARGETS.ttfbOverheadMs}`,
      pass: ttfbGp.p50 - ttfbDirect.p50 <= TARGETS.ttfbOverheadMs,
    },
  ];

  const results = {
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage1mBefore: loadBefore,
    },
    settings: {
      requestsConcurrency1: REQUESTS,
      warmup: WARMUP,
      secondsPerSaturationRun: SECONDS,
      ttfbStreams: TTFB_REQUESTS,
      streamDelayMs: STREAM_DELAY_MS,
      footprintHeaders: true,
      ledger: 'sqlite (SpoolingSink → Ledger.record)',
    },
    portkey: portkey
      ? { available: true, version: portkey.version }
      : { available: false, reason: portkeyReason ?? 'unknown' },
    concurrency1: {
      latencyMs: latency,
      addedMs: {
        greenprint: {
          p50: added('greenprint', 'p50'),
          p90: added('greenprint', 'p90'),
          p99: added('greenprint', 'p99'),
        },
        portkey: lat.portkey
          ? { p50: added('portkey', 'p50'), p90: added('portkey', 'p90'), p99: added('portkey', 'p99') }
          : null,
      },
      cpuPer1k: cpuC1,
    },
    saturation,
    rssMb: { idle: idleMb, peak: peakMb },
    ttfbMs: {
      direct: ttfbDirect,
      greenprint: ttfbGp,
      overhead: { p50: ttfbGp.p50 - ttfbDirect.p50, p90: ttfbGp.p90 - ttfbDirect.p90 },
    },
    ledger: sink,
    targets: checks,
  };

  if (json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    print(results);
  }
} finally {
  await Promise.all(pools.map((t) => t.pool.destroy().catch(() => {})));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

type Results = {
  machine: { cpus: number; cpuModel: string; node: string; loadAverage1mBefore: number };
  settings: { secondsPerSaturationRun: number };
  portkey: { available: boolean; version?: string; reason?: string };
  concurrency1: {
    latencyMs: PerTarget<LatencyStats>;
    addedMs: Record<
      'greenprint' | 'portkey',
      { p50: number | null; p90: number | null; p99: number | null } | null
    >;
    cpuPer1k: PerTarget<number>;
  };
  saturation: Record<number, PerTarget<SaturationStats>>;
  rssMb: { idle: PerTarget<number>; peak: PerTarget<number> };
  ttfbMs: { direct: LatencyStats; greenprint: LatencyStats; overhead: { p50: number; p90: number } };
  ledger: SinkReport;
  targets: { name: string; value: number | null; target: string; pass: boolean | null }[];
};

function print(r: Results): void {
  const pkOff = r.portkey.available ? '—' : 'unavailable';
  const num = (x: number | null | undefined, digits = 3, none = '—') =>
    x === null || x === undefined || Number.isNaN(x) ? none : x.toFixed(digits);
  const int = (x: number | null | undefined, none = '—') =>
    x === null || x === undefined ? none : Math.round(x).toLocaleString('en-US');
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || b === null || b === undefined || b === 0
      ? 'n/a'
      : `${(a / b).toFixed(2)}×`;
  const widths = [34, 12, 12, 14, 18];
  const line = (cells: string[]) =>
    console.log(
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[0] as number) : c.padStart(widths[i] as number)))
        .join(''),
    );
  const head = (title: string, last: string) => {
    console.log(`\n${title}`);
    line(['', 'direct', 'greenprint', 'portkey', last]);
  };

  console.log(
    `\nGateway overhead, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; ` +
      `Greenprint with footprint headers and SQLite ledger writes; Portkey ${r.portkey.available ? r.portkey.version : 'unavailable'}; load average before: ${r.machine.loadAverage1mBefore.toFixed(2)}.`,
  );

  const lat = r.concurrency1.latencyMs;
  head(
    `Latency at concurrency 1, ms (${int(lat.direct?.n)} requests per path, interleaved)`,
    'added gp | pk',
  );
  for (const p of ['p50', 'p90', 'p99', 'mean'] as const) {
    const d = lat.direct?.[p] ?? Number.NaN;
    const gp = lat.greenprint?.[p];
    const pk = lat.portkey?.[p];
    line([
      p,
      num(d),
      num(gp),
      num(pk, 3, pkOff),
      `${num(gp === undefined ? null : gp - d)} | ${num(pk === undefined ? null : pk - d, 3, 'n/a')}`,
    ]);
  }
  const errors1 = [lat.direct, lat.greenprint, lat.portkey].map((s) => s?.errors ?? 0);
  if (errors1.some((e) => e > 0)) line(['errors', ...errors1.map(String), '']);

  for (const c of Object.keys(r.saturation).map(Number)) {
    const s = r.saturation[c] as PerTarget<SaturationStats>;
    head(`Saturation at concurrency ${c} (${r.settings.secondsPerSaturationRun} s per path)`, 'gp / portkey');
    line([
      'requests/s',
      int(s.direct?.perSecond),
      int(s.greenprint?.perSecond),
      int(s.portkey?.perSecond, pkOff),
      ratio(s.greenprint?.perSecond, s.portkey?.perSecond),
    ]);
    line([
      'p50 ms',
      num(s.direct?.p50),
      num(s.greenprint?.p50),
      num(s.portkey?.p50, 3, pkOff),
      ratio(s.greenprint?.p50, s.portkey?.p50),
    ]);
    line([
      'p99 ms',
      num(s.direct?.p99),
      num(s.greenprint?.p99),
      num(s.portkey?.p99, 3, pkOff),
      ratio(s.greenprint?.p99, s.portkey?.p99),
    ]);
    const errs = [s.direct, s.greenprint, s.portkey].map((x) => x?.errors ?? 0);
    if (errs.some((e) => e > 0)) line(['errors', ...errs.map(String), '']);
  }

  head(
    'CPU seconds per 1,000 requests (direct: the fake upstream itself; gateways: their own process)',
    'gp / portkey',
  );
  const cpu1 = r.concurrency1.cpuPer1k;
  line([
    'concurrency 1',
    num(cpu1.direct),
    num(cpu1.greenprint),
    num(cpu1.portkey, 3, pkOff),
    ratio(cpu1.greenprint, cpu1.portkey),
  ]);
  for (const c of Object.keys(r.saturation).map(Number)) {
    const s = r.saturation[c] as PerTarget<SaturationStats>;
    line([
      `concurrency ${c}`,
      num(s.direct?.cpuPer1k),
      num(s.greenprint?.cpuPer1k),
      num(s.portkey?.cpuPer1k, 3, pkOff),
      ratio(s.greenprint?.cpuPer1k, s.portkey?.cpuPer1k),
    ]);
  }

  head('RSS of the gateway process, MB', 'gp / portkey');
  line([
    'after start-up (idle)',
    '—',
    num(r.rssMb.idle.greenprint, 1),
    num(r.rssMb.idle.portkey, 1, pkOff),
    ratio(r.rssMb.idle.greenprint, r.rssMb.idle.portkey),
  ]);
  line([
    'peak over the run',
    '—',
    num(r.rssMb.peak.greenprint, 1),
    num(r.rssMb.peak.portkey, 1, pkOff),
    ratio(r.rssMb.peak.greenprint, r.rssMb.peak.portkey),
  ]);

  const t = r.ttfbMs;
  head(
    `Streaming time to first byte, ms (${t.direct.n} streams per path; Portkey not run: its streaming fails on Node 20)`,
    'overhead gp',
  );
  line(['p50', num(t.direct.p50), num(t.greenprint.p50), 'not run', num(t.overhead.p50)]);
  line(['p90', num(t.direct.p90), num(t.greenprint.p90), 'not run', num(t.overhead.p90)]);

  console.log('\nTargets');
  for (const c of r.targets) {
    console.log(
      `${c.name.padEnd(44)}${num(c.value, 3, 'n/a').padStart(10)}  ${c.target.padEnd(8)}${c.pass === null ? 'n/a (Portkey unavailable)' : c.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  const l = r.ledger.stats;
  console.log(
    `\nLedger: ${int(l.accepted)} events accepted, ${int(l.recorded)} recorded, ${l.pending} pending` +
      `${l.lastError ? `; last error: ${l.lastError}` : ''}${r.ledger.errors.length ? `; gateway errors: ${r.ledger.errors.join(' | ')}` : ''}.`,
  );
  if (!r.portkey.available) console.log(`Portkey unavailable: ${r.portkey.reason}`);
}
