import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, startBatchApi } from '../src/batch/index.js';
import { createEstimator } from '../src/core/index.js';
import { DEFAULT_DATA_DIR, loadReferenceData, readTrace } from '../src/data/index.js';
import { FAKE, type FakeUpstream, startFakeUpstream } from '../src/gateway/fixtures/fakeUpstream.js';
import { createGateway, parseGatewayConfig, SpoolingSink } from '../src/gateway/index.js';
import { Ledger, report } from '../src/ledger/index.js';
import { type PlanningSignals, traceSignals } from '../src/scheduler/planningSignals.js';
import { HALF_HOUR_MS, type Series, seriesFromTrace } from '../src/scheduler/series.js';
import { createApp } from '../src/server/app.js';
import { DIALECTS } from './dbs.js';

// The scheduler issue's Done-when, end to end: a batch submitted through the OpenAI Batch API with a
// 24h window waits for its planned low-carbon slot (a fake clock stands in for the hours), runs
// through the real gateway against a local provider, its output downloads with the official client,
// and the ledger holds the calls and the batch's realised and counterfactual carbon.
const estimator = createEstimator(loadReferenceData());
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  client: OpenAI;
  ledger: Ledger;
  sink: SpoolingSink;
  setClock(ms: number): void;
  fakes: FakeUpstream[];
}

/** The ledger's database, and where the batch queue lives (SQLite file, or BullMQ on Redis). */
interface Setup {
  url: string;
  queue: 'sqlite' | 'redis';
}

async function rig(
  { url, queue }: Setup,
  t0: number,
  upstreams: { name: string; region: string }[],
  signals: PlanningSignals,
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-batch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let clock = t0;
  const now = () => clock;
  const fakes = await Promise.all(upstreams.map(() => startFakeUpstream()));
  cleanups.push(() => Promise.all(fakes.map((f) => f.close())).then(() => undefined));
  const ledger = await Ledger.open({ url, estimator });
  cleanups.push(() => ledger.close());
  const sink = new SpoolingSink({
    record: (e) => ledger.record(e),
    spoolPath: join(dir, 'spool.jsonl'),
    intervalMs: 10,
  });
  const config = parseGatewayConfig({
    scheduler: { queue: queue === 'redis' ? 'redis://127.0.0.1:6379' : join(dir, 'queue.db') },
    upstreams: upstreams.map((u, i) => ({
      name: u.name,
      baseUrl: (fakes[i] as FakeUpstream).baseUrl,
      provider: 'openai',
      region: u.region,
      models: ['gpt-4o-mini'],
    })),
  });
  const gateway = createGateway({ config, estimator, sink, now });
  const batches = await startBatchApi({
    config,
    ledger,
    gateway,
    requireKey: false,
    signals,
    now,
    pollMs: 20,
    queueName: `batches-${randomUUID()}`,
  });
  cleanups.push(() => batches.close());
  const app = createApp({ ledger, gateway, routes: [batches.routes] });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const client = new OpenAI({
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey: 'unused-on-loopback',
    defaultHeaders: { 'x-greenprint-pipeline': 'catalogue', 'x-greenprint-stage': 'descriptions' },
  });
  return { client, ledger, sink, setClock: (ms) => (clock = ms), fakes };
}

function inputFile(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `item-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        temperature: 0,
        max_tokens: 200,
        messages: [{ role: 'user', content: `Describe product ${i} in one line.` }],
      },
    }),
  ).join('\n');
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

type GreenBatch = Batch;

// Both ledgers and both queues, without running every pairing: SQLite with the embedded queue, and
// PostgreSQL with BullMQ on Redis.
const SETUPS = DIALECTS.map((d) => ({
  ...d,
  queue: d.name === 'sqlite' ? ('sqlite' as const) : ('redis' as const),
}));

describe.each(SETUPS)(
  'Batch API → planner → $queue queue → gateway → ledger on $name',
  ({ fresh, queue }) => {
    const setup = async (): Promise<Setup> => ({ url: (await fresh()).url, queue });
    it('runs a 24h batch in the lowest-carbon slot of the German grid and records the saving', async () => {
      // The German trace that ships with Greenprint (Electricity Maps 2024, hourly); a June evening.
      const de = seriesFromTrace(
        readTrace(fileURLToPath(new URL('grid/DE-LU_2024_hourly.csv', DEFAULT_DATA_DIR))),
      );
      const t0 = Date.parse('2024-06-10T18:10:00Z');
      const r = await rig(
        await setup(),
        t0,
        [{ name: 'de', region: 'DE' }],
        traceSignals(new Map([['DE', de]])),
      );

      // What the plan must be: the lowest half-hour slot starting after now and ending within 24 h.
      const first = Math.ceil((t0 - de.startMs) / HALF_HOUR_MS);
      const last = Math.floor((t0 + 24 * 3_600_000 - de.startMs) / HALF_HOUR_MS) - 1;
      let best = first;
      for (let i = first; i <= last; i++)
        if ((de.values[i] as number) < (de.values[best] as number)) best = i;
      const bestStartMs = de.startMs + best * HALF_HOUR_MS;
      expect(bestStartMs - t0).toBeGreaterThan(3_600_000); // the evening is not the green time

      const file = await r.client.files.create({
        file: await toFile(Buffer.from(inputFile(6)), 'catalogue.jsonl'),
        purpose: 'batch',
      });
      const created = (await r.client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })) as unknown as GreenBatch;
      expect(created.status).toBe('validating');
      const plan = created.greenprint.plan;
      expect(plan?.zone).toBe('DE');
      expect(plan?.start_at).toBe(bestStartMs / 1000);
      // Six requests at 1.3 Wh each or so: the saving is the slot's intensity against now's.
      const slotNow = de.values[first - 1] as number;
      expect(plan?.saving_pct).toBeCloseTo((100 * (slotNow - (de.values[best] as number))) / slotNow, 1);

      // An hour before the slot, nothing has run.
      r.setClock(bestStartMs - 3_600_000);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.fakes[0]?.requests).toHaveLength(0);
      expect((await r.client.batches.retrieve(created.id)).status).toBe('validating');

      // At the slot the worker picks it up and runs every request through the gateway.
      r.setClock(bestStartMs + 60_000);
      await until(
        async () => (await r.client.batches.retrieve(created.id)).status === 'completed',
        'the batch',
      );
      const done = (await r.client.batches.retrieve(created.id)) as unknown as GreenBatch;
      expect(done.request_counts).toEqual({ total: 6, completed: 6, failed: 0 });
      expect(r.fakes[0]?.requests).toHaveLength(6);

      const output = await (await r.client.files.content(done.output_file_id as string)).text();
      const lines = output
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.custom_id).sort()).toEqual([
        'item-0',
        'item-1',
        'item-2',
        'item-3',
        'item-4',
        'item-5',
      ]);
      for (const line of lines) {
        expect(line.response.status_code).toBe(200);
        expect(line.response.body.choices[0].message.content).toBe(FAKE.chatText);
      }

      // The ledger: six calls in the planned slot, attributed to the batch's pipeline and stage …
      await r.sink.close();
      const rep = await report(r.ledger, { by: ['pipeline', 'stage'] });
      expect(rep.rows).toHaveLength(1);
      expect(rep.rows[0]?.group).toEqual({ pipeline: 'catalogue', stage: 'descriptions' });
      expect(rep.rows[0]?.events).toBe(6);
      expect(rep.rows[0]?.outputTokens).toBe(6 * FAKE.chatUsage.completion_tokens);
      const events = await r.ledger.db
        .selectFrom('events')
        .select(['ts_ms', 'run', 'energy_wh_mid'])
        .execute();
      for (const e of events) {
        expect(Number(e.ts_ms)).toBeGreaterThanOrEqual(bestStartMs);
        expect(e.run).toBe(created.id);
      }
      // … and the batch's realised carbon (metered energy at the slot it ran in) against run-now.
      const realised = done.greenprint.realised;
      const meteredWh = events.reduce((s, e) => s + Number(e.energy_wh_mid), 0);
      expect(realised?.energy_wh).toBeCloseTo(meteredWh, 9);
      expect(realised?.gco2e).toBeCloseTo((meteredWh / 1000) * (de.values[best] as number), 9);
      expect(realised?.run_now_gco2e).toBeCloseTo((meteredWh / 1000) * (de.values[first - 1] as number), 6);
      const row = await r.ledger.db
        .selectFrom('batches')
        .select(['realised_g', 'realised_run_now_g', 'zone', 'status'])
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ zone: 'DE', status: 'completed' });
      expect(Number(row.realised_g)).toBeLessThan(Number(row.realised_run_now_g));
    });

    it('moves a batch to the greener region when two upstreams serve its model, and sends it there', async () => {
      const t0 = Date.parse('2025-03-01T10:00:00Z');
      const flat = (zone: string, values: number[]): Series => ({
        zone,
        source: `test ${zone}`,
        startMs: t0 - 4 * HALF_HOUR_MS,
        stepMs: HALF_HOUR_MS,
        values: Float64Array.from(values),
      });
      // FR (the default route) is flat at 60; DE dips to 40 three slots ahead.
      const signals = traceSignals(
        new Map([
          ['FR', flat('FR', Array(60).fill(60))],
          ['DE', flat('DE', [...Array(7).fill(400), 40, ...Array(52).fill(400)])],
        ]),
      );
      const r = await rig(
        await setup(),
        t0,
        [
          { name: 'paris', region: 'FR' },
          { name: 'frankfurt', region: 'DE' },
        ],
        signals,
      );
      const file = await r.client.files.create({
        file: await toFile(Buffer.from(inputFile(2)), 'x.jsonl'),
        purpose: 'batch',
      });
      const created = (await r.client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '4h' as '24h',
      })) as unknown as GreenBatch;
      expect(created.greenprint.plan).toMatchObject({
        zone: 'DE',
        upstream: 'frankfurt',
        start_at: (t0 + 3 * HALF_HOUR_MS) / 1000,
      });
      r.setClock(t0 + 3 * HALF_HOUR_MS);
      await until(
        async () => (await r.client.batches.retrieve(created.id)).status === 'completed',
        'the batch',
      );
      expect(r.fakes[0]?.requests).toHaveLength(0);
      expect(r.fakes[1]?.requests).toHaveLength(2);
      // Realised: DE's 40 g/kWh where it ran; run-now: FR's 60, where the default route would have run it.
      const done = (await r.client.batches.retrieve(created.id)) as unknown as GreenBatch;
      const kwh = (done.greenprint.realised?.energy_wh ?? 0) / 1000;
      expect(kwh).toBeGreaterThan(0);
      expect(done.greenprint.plan?.home_zone).toBe('FR');
      expect(done.greenprint.realised?.gco2e).toBeCloseTo(kwh * 40, 9);
      expect(done.greenprint.realised?.run_now_gco2e).toBeCloseTo(kwh * 60, 9);
    });

    it('reports bad lines with their line numbers and still runs the good ones; cancels a waiting batch', async () => {
      const t0 = Date.parse('2025-03-01T10:00:00Z');
      const series: Series = {
        zone: 'FR',
        source: 'test',
        startMs: t0 - HALF_HOUR_MS,
        stepMs: HALF_HOUR_MS,
        values: Float64Array.from([90, 90, 80, 10, ...Array(60).fill(90)]),
      };
      const r = await rig(
        await setup(),
        t0,
        [{ name: 'paris', region: 'FR' }],
        traceSignals(new Map([['FR', series]])),
      );
      const text = [
        inputFile(1),
        '{not json',
        JSON.stringify({
          custom_id: 'x',
          method: 'POST',
          url: '/v1/embeddings',
          body: { model: 'gpt-4o-mini' },
        }),
      ].join('\n');
      const file = await r.client.files.create({
        file: await toFile(Buffer.from(text), 'mixed.jsonl'),
        purpose: 'batch',
      });
      const created = (await r.client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })) as unknown as GreenBatch;
      expect(created.errors?.data.map((e) => e.line)).toEqual([2, 3]);
      expect(created.errors?.data[1]?.message).toMatch(/differs from the batch's endpoint/);
      expect(created.request_counts.total).toBe(3);

      const second = (await r.client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })) as unknown as GreenBatch;
      const cancelled = await r.client.batches.cancel(second.id);
      expect(cancelled.status).toBe('cancelled');
      await expect(r.client.batches.cancel(second.id)).resolves.toMatchObject({ status: 'cancelled' });

      r.setClock(t0 + 10 * HALF_HOUR_MS);
      await until(
        async () => (await r.client.batches.retrieve(created.id)).status === 'completed',
        'the batch',
      );
      const done = await r.client.batches.retrieve(created.id);
      expect(done.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
      expect(r.fakes[0]?.requests).toHaveLength(1); // the cancelled batch sent nothing

      await expect(
        r.client.batches.create({
          input_file_id: 'file-missing',
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        r.client.batches.create({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '2d' as '24h',
        }),
      ).rejects.toMatchObject({ status: 400 });
    });
  },
);
