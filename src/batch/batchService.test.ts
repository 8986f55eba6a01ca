import { afterEach, describe, expect, it } from 'vitest';
import { createEstimator } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { parseGatewayConfig } from '../gateway/index.js';
import { Ledger } from '../ledger/index.js';
import { type PlanningSignals, traceSignals } from '../scheduler/planningSignals.js';
import { jobIdFor, SqliteJobQueue } from '../scheduler/queue/index.js';
import { HALF_HOUR_MS } from '../scheduler/series.js';
import { type BatchCall, type BatchJobPayload, BatchService } from './batchService.js';
import { BatchStore } from './store.js';

// Cancelling a running batch: the runner stops between requests, the lines already done land in the
// output file, and the batch ends `cancelled`. The requests go to a controllable sender (the gateway
// path itself is covered end to end in test/batch-api.e2e.test.ts).
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const t0 = Date.parse('2025-03-01T10:00:00Z');
const FLAT: PlanningSignals = traceSignals(
  new Map([
    [
      'FR',
      {
        zone: 'FR',
        source: 'flat',
        startMs: t0 - HALF_HOUR_MS,
        stepMs: HALF_HOUR_MS,
        values: new Float64Array(60).fill(50),
      },
    ],
  ]),
);

/** A service over a real ledger and queue whose requests wait at `gate` until it is released. */
async function rig(signals: PlanningSignals = FLAT) {
  const ledger = await Ledger.open({ url: ':memory:', estimator: createEstimator(loadReferenceData()) });
  closers.push(() => ledger.close());
  let clock = t0;
  const now = () => clock;
  const queue = new SqliteJobQueue<BatchJobPayload>({ path: ':memory:', now, backoff: { baseMs: 10 } });
  closers.push(() => queue.close());
  const started: BatchCall[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const service = new BatchService({
    store: new BatchStore(ledger.db),
    queue,
    estimator: ledger.estimator,
    config: parseGatewayConfig({
      upstreams: [
        { name: 'fr', baseUrl: 'http://127.0.0.1:9/v1', provider: 'openai', region: 'FR', models: ['*'] },
      ],
    }),
    signals,
    now,
    concurrency: 1,
    send: async (call) => {
      started.push(call);
      await gate;
      return { status: 200, body: { ok: true }, requestId: `r${started.length}`, energyWh: 0.5 };
    },
  });
  const lines = Array.from({ length: 5 }, (_, i) =>
    JSON.stringify({
      custom_id: `c${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [] },
    }),
  );
  const file = await service.createFile('p', 'in.jsonl', 'batch', lines.join('\n'));
  const batch = await service.createBatch('p', {
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  return { queue, service, batch, started, release: () => release(), setClock: (ms: number) => (clock = ms) };
}

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('BatchService.cancel', () => {
  it('stops a running batch between requests and keeps what finished', async () => {
    const { queue, service, batch, started, release } = await rig();
    // Flat intensity: the plan is to start at the first slot, so the worker takes it at once.
    const worker = queue.work((job, signal) => service.run(job, signal), { pollMs: 5 });
    closers.push(() => worker.stop());
    await until(() => started.length > 0);
    expect(started).toHaveLength(1);
    expect((await service.cancel('p', batch.id)).status).toBe('cancelling');
    release();
    await until(async () => (await service.get('p', batch.id)).status === 'cancelled');
    const done = await service.get('p', batch.id);
    expect(done.status).toBe('cancelled');
    expect(started).toHaveLength(1);
    expect(done.request_counts).toMatchObject({ total: 5, completed: 1 });
    const output = await service.store.fileContent('p', done.output_file_id as string);
    expect(
      output
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).custom_id),
    ).toEqual(['c0']);
    await expect(service.cancel('other-project', batch.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a shutdown pauses a running batch after its request in flight; the next worker resumes after the finished lines', async () => {
    const { queue, service, batch, started, release } = await rig();
    const worker = queue.work((job, signal) => service.run(job, signal), { pollMs: 5 });
    await until(() => started.length > 0);
    service.stop();
    release();
    await worker.stop();
    const paused = await service.get('p', batch.id);
    expect(paused.status).toBe('in_progress');
    expect((await service.store.results(batch.id)).map((r) => r.line)).toEqual([1]);
    const job = await queue.get(jobIdFor(`batch:${batch.id}`));
    expect(job?.state).toBe('waiting');
    expect(job?.error).toMatch(/paused by shutdown after 1 of 5 requests/);
  });
});

describe('BatchService expiry', () => {
  it('a batch whose worker comes back after its window expires: nothing is sent, every request is reported', async () => {
    const { queue, service, batch, started, setClock } = await rig();
    setClock(t0 + 25 * 3_600_000);
    const worker = queue.work((job, signal) => service.run(job, signal), { pollMs: 5 });
    closers.push(() => worker.stop());
    await until(async () => (await service.get('p', batch.id)).status === 'expired');
    const done = await service.get('p', batch.id);
    expect(done.status).toBe('expired');
    expect(done.expired_at).toBe((t0 + 25 * 3_600_000) / 1000);
    expect(started).toHaveLength(0);
    expect(done.request_counts).toEqual({ total: 5, completed: 0, failed: 5 });
    const errors = await service.store.fileContent('p', done.error_file_id as string);
    expect(
      errors
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).error.code),
    ).toEqual(Array(5).fill('batch_expired'));
  });
});

describe('BatchService planning', () => {
  it('accepts a batch when the signal provider is down, runs it at once and says why', async () => {
    const down: PlanningSignals = {
      zones: ['FR'],
      forecast: async () => {
        throw new Error('Electricity Maps: HTTP 503 from /v3/carbon-intensity/forecast');
      },
      actual: async () => undefined,
    };
    const { batch } = await rig(down);
    expect(batch.status).toBe('validating');
    expect(batch.greenprint.plan?.start_at).toBe(t0 / 1000);
    expect(batch.greenprint.plan?.signal).toMatch(
      /no carbon-intensity signal could be read \(FR: Electricity Maps: HTTP 503/,
    );
  });
});
