import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsageEvent } from '../core/index.js';
import { type FakeOpenAI, startFakeOpenAI } from './fixtures/fakeOpenAI.js';
import { type Receiver, startReceiver } from './fixtures/receiver.js';

const USAGE = { prompt_tokens: 42, completion_tokens: 17, cached_tokens: 10, reasoning_tokens: 5 };
const RESPONSE_MODEL = 'gpt-4o-mini-2024-07-18';

let fake: FakeOpenAI;
let receiver: Receiver;

beforeAll(async () => {
  fake = await startFakeOpenAI(USAGE, RESPONSE_MODEL);
  receiver = await startReceiver();
  // Parent/child links need a context manager; register() installs AsyncLocalStorage once.
  new NodeTracerProvider().register();
});

afterAll(async () => {
  await receiver.close();
  await fake.close();
});

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;

/** Runs one generateText and one streamText through a fresh provider exporting to the receiver. */
async function exportCalls(exporter: SpanExporter, processor: (e: SpanExporter) => SpanProcessor) {
  const spans = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'e2e-app', 'deployment.environment.name': 'test' }),
    spanProcessors: [processor(exporter), new SimpleSpanProcessor(spans)],
  });
  const openai = createOpenAICompatible({
    name: 'openai',
    baseURL: fake.baseURL,
    apiKey: 'test',
    includeUsage: true,
  });
  const telemetry = {
    isEnabled: true,
    tracer: provider.getTracer('e2e'),
    metadata: { project: 'p', pipeline: 'pl', stage: 's' },
  };
  const before = receiver.batches.length;
  const requestsBefore = receiver.requests.length;
  const generated = await generateText({
    model: openai('gpt-4o-mini'),
    prompt: 'Say hello.',
    experimental_telemetry: telemetry,
  });
  const streamed = streamText({
    model: openai('gpt-4o-mini'),
    prompt: 'Say hello.',
    experimental_telemetry: telemetry,
  });
  await streamed.consumeStream();
  expect(generated.text).toBe('Hello there.');
  expect(await streamed.text).toBe('Hello there.');
  await provider.forceFlush();
  // Read before shutdown, which empties the in-memory exporter.
  const finished = spans.getFinishedSpans();
  await provider.shutdown();
  const idOf = (name: string) => {
    const s = finished.find((f) => f.name === name);
    return s && `otel_${s.spanContext().traceId}_${s.spanContext().spanId}`;
  };
  return {
    events: receiver.batches.slice(before).flat(),
    batches: receiver.batches.length - before,
    requests: receiver.requests.slice(requestsBefore),
    doGenerateId: idOf('ai.generateText.doGenerate'),
    doStreamId: idOf('ai.streamText.doStream'),
    spanNames: finished.map((s) => s.name).sort(),
  };
}

function expectedEvent(id: string | undefined) {
  return {
    id,
    operation: 'chat',
    provider: 'openai',
    requestModel: 'gpt-4o-mini',
    responseModel: RESPONSE_MODEL,
    inputTokens: USAGE.prompt_tokens,
    outputTokens: USAGE.completion_tokens,
    cachedInputTokens: USAGE.cached_tokens,
    reasoningTokens: USAGE.reasoning_tokens,
    project: 'p',
    pipeline: 'pl',
    stage: 's',
    tags: { 'deployment.environment': 'test' },
  };
}

describe('Vercel AI SDK → OTLP exporter → otlpRoutes', () => {
  it('http/json, one span per export (SimpleSpanProcessor): one event per call, from the provider-call span', async () => {
    const run = await exportCalls(new JsonExporter({ url: receiver.url }), (e) => new SimpleSpanProcessor(e));
    expect(run.spanNames).toEqual([
      'ai.generateText',
      'ai.generateText.doGenerate',
      'ai.streamText',
      'ai.streamText.doStream',
    ]);
    // Each span travelled alone, so the wrapper spans were recognised without their children beside them.
    expect(run.requests).toHaveLength(4);
    expect(run.requests[0]).toEqual({ type: 'application/json', encoding: null });
    expect(run.batches).toBe(2);
    expect(run.events).toHaveLength(2);
    expect(run.events[0]).toMatchObject(expectedEvent(run.doGenerateId));
    expect(run.events[1]).toMatchObject(expectedEvent(run.doStreamId));
    for (const e of run.events) {
      parseUsageEvent(e);
      expect(e.startTime).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    // The fake only sends usage in the stream when asked to.
    expect(fake.requests.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('http/protobuf with gzip, batched: parent and child in one export still give one event per call', async () => {
    const compression = 'gzip' as ExporterConfig['compression'];
    const run = await exportCalls(
      new ProtoExporter({ url: receiver.url, compression }),
      (e) => new BatchSpanProcessor(e),
    );
    expect(run.requests).toEqual([{ type: 'application/x-protobuf', encoding: 'gzip' }]);
    expect(run.batches).toBe(1);
    expect(run.events).toHaveLength(2);
    const byId = new Map(run.events.map((e) => [e.id, e]));
    expect(byId.get(run.doGenerateId)).toMatchObject(expectedEvent(run.doGenerateId));
    expect(byId.get(run.doStreamId)).toMatchObject(expectedEvent(run.doStreamId));
  });
});
