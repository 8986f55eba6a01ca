import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { Ledger, report } from '../src/ledger/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../src/otlp/fixtures/fakeOpenAI.js';
import { startReceiver } from '../src/otlp/fixtures/receiver.js';
import { DIALECTS } from './dbs.js';

// The Done-when check of the ledger issue: the real Vercel AI SDK, telemetry on, exporting OTLP to the
// receiver, against a local OpenAI-compatible server; the calls must land in the real ledger once.
const USAGE = { prompt_tokens: 1200, completion_tokens: 345, cached_tokens: 200, reasoning_tokens: 0 };
const estimator = createEstimator(loadReferenceData());
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI(USAGE, 'gpt-4o-mini-2024-07-18');
  new NodeTracerProvider().register();
});
afterAll(async () => {
  await fake.close();
});

describe.each(DIALECTS)('Vercel AI SDK → OTLP → ledger on $name', ({ fresh }) => {
  it('records each call once with the tokens the provider reported', async () => {
    const db = await fresh();
    const ledger = await Ledger.open({ url: db.url, estimator });
    const receiver = await startReceiver({ record: (events) => ledger.record(events) });
    try {
      const spans = new InMemorySpanExporter();
      const provider = new NodeTracerProvider({
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url })),
          new SimpleSpanProcessor(spans),
        ],
      });
      const openai = createOpenAICompatible({
        name: 'openai',
        baseURL: fake.baseURL,
        apiKey: 'test',
        includeUsage: true,
      });
      const telemetry = {
        isEnabled: true,
        tracer: provider.getTracer('app'),
        metadata: { project: 'newsroom', pipeline: 'daily-digest', stage: 'summarise' },
      };
      await generateText({
        model: openai('gpt-4o-mini'),
        prompt: 'Summarise the news.',
        experimental_telemetry: telemetry,
      });
      const s = streamText({
        model: openai('gpt-4o-mini'),
        prompt: 'Write a headline.',
        experimental_telemetry: telemetry,
      });
      await s.consumeStream();
      await provider.forceFlush();
      await provider.shutdown();

      const rep = await report(ledger, { by: ['project', 'pipeline', 'stage', 'model'] });
      expect(rep.rows).toHaveLength(1);
      const row = rep.rows[0];
      // The provider's more specific response model is the one estimated and reported.
      expect(row?.group).toEqual({
        project: 'newsroom',
        pipeline: 'daily-digest',
        stage: 'summarise',
        model: 'gpt-4o-mini-2024-07-18',
      });
      expect(row?.events).toBe(2);
      expect(row?.inputTokens).toBe(2 * USAGE.prompt_tokens);
      expect(row?.outputTokens).toBe(2 * USAGE.completion_tokens);
      const expected = estimator.estimate({
        requestModel: 'gpt-4o-mini',
        responseModel: 'gpt-4o-mini-2024-07-18',
        provider: 'openai',
        inputTokens: USAGE.prompt_tokens,
        outputTokens: USAGE.completion_tokens,
        cachedInputTokens: USAGE.cached_tokens,
      });
      expect(row?.energyKwh.mid).toBeCloseTo((2 * expected.energyWh.mid) / 1000, 12);

      // An exporter retry resends the same spans: the ledger must not count them twice.
      const stored = await ledger.db.selectFrom('events').select(['id', 'event_json']).execute();
      expect(stored.map((e) => e.id).every((id) => id.startsWith('otel_'))).toBe(true);
      const again = await ledger.record(stored.map((e) => JSON.parse(e.event_json)));
      expect(again).toMatchObject({ inserted: 0, duplicates: 2 });
      expect((await report(ledger)).total.events).toBe(2);
    } finally {
      await receiver.close();
      await ledger.close();
      await db.drop();
    }
  });
});
