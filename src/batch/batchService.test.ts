import { afterEach, describe, expect, it } from 'vitest';
import { createEstimator } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { parseGatewayConfig } from '../gateway/index.js';
import { Ledger } from '../ledger/index.js';
import { traceSignals } from '../scheduler/planningSignals.js';
import { SqliteJobQueue } from '../scheduler/queue/index.js';
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

describe('BatchService.cancel', () => {
  it('stops a running batch between requests and keeps what finished', async () => {
    const t0 = Date.parse('2025-03-01T10:00:00Z');
    const ledger = await Ledger.open({ url: ':memory:', estimator: createEstimator(loadReferenceData()) });
    closers.push(() => ledger.close());
    const queue = new SqliteJobQueue<BatchJobPayload>({ path: ':memory:', now: () => t0 });
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
      signals: traceSignals(
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
      ),
      now: () => t0,
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
    // Flat intensity: the plan is to start at the first slot, so the worker takes it at once.
    const worker = queue.work((job, signal) => service.run(job, signal), { pollMs: 5 });
    closers.push(() => worker.stop());
    for (let i = 0; i < 400 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(started).toHaveLength(1);
    expect((await service.cancel('p', batch.id)).status).toBe('cancelling');
    release();
    for (let i = 0; i < 400 && (await service.get('p', batch.id)).status !== 'cancelled'; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
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
});
