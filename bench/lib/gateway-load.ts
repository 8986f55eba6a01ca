/**
 * The load generator of bench/gateway.ts: undici keep-alive pools, a sequential interleaved loop
 * (concurrency 1), fixed-time concurrent workers (saturation) and time-to-first-byte of streams.
 */
import { Pool } from 'undici';

export interface Target {
  name: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
}

export function target(name: string, origin: string, headers: Record<string, string>): Target {
  return {
    name,
    pool: new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 }),
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...headers },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request, whole answer read. */
export async function call(t: Target, body: string): Promise<Answer> {
  const res = await t.pool.request({ path: t.path, method: 'POST', headers: t.headers, body });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** One request's latency in ms, from sending to the last byte of the answer; NaN when it failed. */
async function timed(t: Target, body: string): Promise<number> {
  const t0 = performance.now();
  try {
    const res = await t.pool.request({ path: t.path, method: 'POST', headers: t.headers, body });
    await res.body.arrayBuffer();
    return res.statusCode === 200 ? performance.now() - t0 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface Samples {
  /** Latencies in ms of the successful requests. */
  ms: number[];
  errors: number;
}

function collect(results: number[]): Samples {
  const ms = results.filter((x) => !Number.isNaN(x));
  return { ms, errors: results.length - ms.length };
}

/**
 * `n` rounds, one request to each target per round, one at a time, the order rotating every round:
 * every target sees the same machine state, so their percentiles can be subtracted.
 */
export async function interleaved(targets: Target[], body: string, n: number): Promise<Samples[]> {
  const results = targets.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < targets.length; j++) {
      const k = (i + j) % targets.length;
      (results[k] as number[]).push(await timed(targets[k] as Target, body));
    }
  }
  return results.map(collect);
}

export interface Saturation extends Samples {
  concurrency: number;
  seconds: number;
  perSecond: number;
}

/** `concurrency` workers, each sending its next request as soon as the last one is answered, for `ms`. */
export async function saturate(
  t: Target,
  body: string,
  concurrency: number,
  ms: number,
): Promise<Saturation> {
  const results: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + ms;
  const worker = async () => {
    while (performance.now() < deadline) results.push(await timed(t, body));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const samples = collect(results);
  return { ...samples, concurrency, seconds, perSecond: samples.ms.length / seconds };
}

/**
 * Time to the first byte of a streamed answer's body (ms), interleaved over the targets like
 * `interleaved`; every stream is read to its end.
 */
export async function firstByte(targets: Target[], body: string, n: number): Promise<Samples[]> {
  const results = targets.map(() => [] as number[]);
  const once = async (t: Target) => {
    const t0 = performance.now();
    try {
      const res = await t.pool.request({ path: t.path, method: 'POST', headers: t.headers, body });
      let first = Number.NaN;
      for await (const _ of res.body) if (Number.isNaN(first)) first = performance.now() - t0;
      return res.statusCode === 200 ? first : Number.NaN;
    } catch {
      return Number.NaN;
    }
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < targets.length; j++) {
      const k = (i + j) % targets.length;
      (results[k] as number[]).push(await once(targets[k] as Target));
    }
  }
  return results.map(collect);
}

/** Nearest-rank percentile of `xs` (p in 0–100); NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
