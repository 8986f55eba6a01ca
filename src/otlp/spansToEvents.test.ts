import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUsageEvent, type UsageEvent } from '../core/index.js';
import {
  normalizeProvider,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTraceRequest,
  parseOtlpTraceRequest,
  spansToEvents,
} from './index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function fixture(name: string): OtlpTraceRequest {
  const json: unknown = JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
  return parseOtlpTraceRequest(json);
}

/** Hand-written OTLP/JSON key-values: integers become intValue, other numbers doubleValue. */
function kvs(attributes: Record<string, string | number | boolean>): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: v }
            : { doubleValue: v },
  }));
}

function span(
  spanId: string,
  name: string,
  attributes: Record<string, string | number | boolean>,
  parentSpanId?: string,
): OtlpSpan {
  return {
    traceId: TRACE,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000250000000',
    attributes: kvs(attributes),
  };
}

function request(spans: OtlpSpan[], resource: Record<string, string> = {}): OtlpTraceRequest {
  return { resourceSpans: [{ resource: { attributes: kvs(resource) }, scopeSpans: [{ spans }] }] };
}

/** Every event must also pass Greenprint's strict event schema. */
function valid(events: UsageEvent[]): UsageEvent[] {
  for (const e of events) parseUsageEvent(e);
  return events;
}

const vercelBase = {
  'ai.model.provider': 'openai.chat',
  'ai.model.id': 'gpt-4o-mini',
  'ai.telemetry.metadata.project': 'p',
  'ai.telemetry.metadata.pipeline': 'pl',
  'ai.telemetry.metadata.stage': 's',
  'ai.usage.inputTokens': 42,
  'ai.usage.outputTokens': 17,
  'ai.usage.cachedInputTokens': 10,
  'ai.usage.reasoningTokens': 5,
};

describe('spansToEvents: OpenTelemetry GenAI semantic conventions', () => {
  it('maps a chat span, its resource and Greenprint tags; the HTTP child span is ignored', () => {
    const { events, skipped } = spansToEvents(fixture('semconv-chat.json'));
    expect(skipped).toBe(0);
    expect(valid(events)).toEqual([
      {
        id: 'otel_5b8efff798038103d269b633813fc60c_eee19b7ec3c1b174',
        operation: 'chat',
        provider: 'google_genai',
        requestModel: 'gemini-2.0-flash',
        responseModel: 'gemini-2.0-flash-001',
        inputTokens: 1200,
        outputTokens: 310,
        cachedInputTokens: 1024,
        reasoningTokens: 96,
        startTime: '2023-11-14T22:13:20.123Z',
        durationMs: 1500.5,
        project: 'faq',
        stage: 'answer',
        team: 'search',
        region: 'europe-west4',
        deployment: 'managed_api',
        tags: { 'deployment.environment': 'staging' },
      },
    ]);
  });

  it('reads the older gen_ai.system and prompt/completion token names', () => {
    const { events } = spansToEvents(
      request([
        span('00000000000000a1', 'chat gpt-4o', {
          'gen_ai.system': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.prompt_tokens': 30,
          'gen_ai.usage.completion_tokens': 7,
          'gen_ai.usage.cached_tokens': 3,
        }),
      ]),
    );
    expect(valid(events)).toMatchObject([
      { provider: 'openai', requestModel: 'gpt-4o', inputTokens: 30, outputTokens: 7, cachedInputTokens: 3 },
    ]);
  });

  it('keeps the innermost usage: an agent span summing its model calls is skipped, across a tool span', () => {
    const { events, skipped } = spansToEvents(
      request([
        span('00000000000000b1', 'invoke_agent planner', {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 300,
          'gen_ai.usage.output_tokens': 50,
        }),
        span(
          '00000000000000b2',
          'chat gpt-4o',
          {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 100,
            'gen_ai.usage.output_tokens': 20,
          },
          '00000000000000b1',
        ),
        span(
          '00000000000000b3',
          'execute_tool search',
          { 'gen_ai.operation.name': 'execute_tool' },
          '00000000000000b1',
        ),
        span(
          '00000000000000b4',
          'chat gpt-4o',
          {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 200,
            'gen_ai.usage.output_tokens': 30,
          },
          '00000000000000b3',
        ),
      ]),
    );
    expect(valid(events).map((e) => [e.id, e.inputTokens, e.outputTokens])).toEqual([
      [`otel_${TRACE}_00000000000000b2`, 100, 20],
      [`otel_${TRACE}_00000000000000b4`, 200, 30],
    ]);
    expect(skipped).toBe(1);
  });

  it('counts an agent span that arrives without its model calls (a remote agent)', () => {
    const { events } = spansToEvents(
      request([
        span('00000000000000c1', 'invoke_agent remote', {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.provider.name': 'aws.bedrock',
          'gen_ai.request.model': 'anthropic.claude-3-haiku-20240307-v1:0',
          'gen_ai.usage.input_tokens': 80,
          'gen_ai.usage.output_tokens': 12,
        }),
      ]),
    );
    expect(valid(events)).toMatchObject([{ provider: 'aws.bedrock', inputTokens: 80 }]);
    expect(events[0]?.operation).toBeUndefined();
  });
});

describe('spansToEvents: OpenLLMetry and OpenLIT', () => {
  it('OpenLLMetry LangChain: the framework task span and the provider span carry the same usage; only the provider span counts', () => {
    const { events, skipped } = spansToEvents(fixture('openllmetry-langchain.json'));
    expect(skipped).toBe(1);
    expect(valid(events)).toEqual([
      {
        id: 'otel_0af7651916cd43dd8448eb211c80319c_a000000000000003',
        operation: 'chat',
        provider: 'anthropic',
        requestModel: 'claude-3-5-sonnet-20241022',
        responseModel: 'claude-3-5-sonnet-20241022',
        inputTokens: 2048,
        outputTokens: 512,
        cachedInputTokens: 1500,
        startTime: '2023-11-14T22:13:20.600Z',
        durationMs: 1800,
        project: 'rag',
      },
    ]);
  });

  it('OpenLIT: gen_ai.* with reasoning tokens; service.name is the project, deployment.environment a tag', () => {
    const { events } = spansToEvents(
      request(
        [
          span('00000000000000d1', 'chat mistral-large-latest', {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'mistral_ai',
            'gen_ai.request.model': 'mistral-large-latest',
            'gen_ai.usage.input_tokens': 64,
            'gen_ai.usage.output_tokens': 256,
            'gen_ai.usage.reasoning_tokens': 128,
            'gen_ai.usage.cost': 0.0012,
            'gen_ai.environment': 'production',
          }),
        ],
        { 'service.name': 'my-app', 'deployment.environment': 'production' },
      ),
    );
    expect(valid(events)).toMatchObject([
      {
        provider: 'mistralai',
        requestModel: 'mistral-large-latest',
        inputTokens: 64,
        outputTokens: 256,
        reasoningTokens: 128,
        project: 'my-app',
        tags: { 'deployment.environment': 'production' },
      },
    ]);
  });

  it('OpenLLMetry llm.usage.* names and an embedding with only a total', () => {
    const { events } = spansToEvents(
      request([
        span('00000000000000e1', 'openai.embeddings', {
          'llm.request.type': 'embedding',
          'gen_ai.system': 'OpenAI',
          'gen_ai.request.model': 'text-embedding-3-small',
          'llm.usage.total_tokens': 900,
        }),
        span('00000000000000e2', 'openai.chat', {
          'llm.request.type': 'completion',
          'gen_ai.system': 'OpenAI',
          'gen_ai.request.model': 'gpt-3.5-turbo-instruct',
          'llm.usage.prompt_tokens': 10,
          'llm.usage.completion_tokens': 20,
        }),
      ]),
    );
    expect(valid(events)).toMatchObject([
      { operation: 'embeddings', provider: 'openai', inputTokens: 900 },
      { operation: 'text_completion', inputTokens: 10, outputTokens: 20 },
    ]);
    expect(events[0]?.outputTokens).toBeUndefined();
  });
});

describe('spansToEvents: Vercel AI SDK', () => {
  it('parent ai.generateText + child doGenerate → one event, the child', () => {
    const { events, skipped } = spansToEvents(
      request([
        span(
          '00000000000000f2',
          'ai.generateText.doGenerate',
          {
            ...vercelBase,
            'ai.operationId': 'ai.generateText.doGenerate',
            'gen_ai.system': 'openai.chat',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
            'gen_ai.usage.input_tokens': 42,
            'gen_ai.usage.output_tokens': 17,
          },
          '00000000000000f1',
        ),
        span('00000000000000f1', 'ai.generateText', { ...vercelBase, 'ai.operationId': 'ai.generateText' }),
      ]),
    );
    expect(skipped).toBe(1);
    expect(valid(events)).toEqual([
      {
        id: `otel_${TRACE}_00000000000000f2`,
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o-mini',
        responseModel: 'gpt-4o-mini-2024-07-18',
        inputTokens: 42,
        outputTokens: 17,
        cachedInputTokens: 10,
        reasoningTokens: 5,
        startTime: '2023-11-14T22:13:20.000Z',
        durationMs: 250,
        project: 'p',
        pipeline: 'pl',
        stage: 's',
      },
    ]);
  });

  it('a wrapper span exported on its own (SimpleSpanProcessor) is still not counted', () => {
    const { events, skipped } = spansToEvents(
      request([
        span('00000000000000f1', 'ai.streamText', { ...vercelBase, 'ai.operationId': 'ai.streamText' }),
      ]),
    );
    expect(events).toEqual([]);
    expect(skipped).toBe(1);
  });

  it('a two-step generateText yields one event per provider call; older promptTokens names and embed', () => {
    const step = (id: string, input: number) =>
      span(
        id,
        'ai.generateText.doGenerate',
        {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-3-5-haiku-latest',
          'ai.usage.promptTokens': input,
          'ai.usage.completionTokens': 9,
        },
        '0000000000000100',
      );
    const { events } = spansToEvents(
      request([
        step('0000000000000101', 100),
        step('0000000000000102', 150),
        span('0000000000000100', 'ai.generateText', {
          'ai.operationId': 'ai.generateText',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-3-5-haiku-latest',
          'ai.usage.promptTokens': 250,
          'ai.usage.completionTokens': 18,
        }),
        span('0000000000000201', 'ai.embed.doEmbed', {
          'ai.operationId': 'ai.embed.doEmbed',
          'ai.model.provider': 'my-vllm.embedding',
          'ai.model.id': 'bge-m3',
          'ai.usage.tokens': 12,
        }),
      ]),
    );
    expect(valid(events).map((e) => [e.provider, e.operation, e.inputTokens, e.outputTokens])).toEqual([
      ['anthropic', 'chat', 100, 9],
      ['anthropic', 'chat', 150, 9],
      ['my-vllm', 'embeddings', 12, undefined],
    ]);
  });
});

describe('spansToEvents: what is not an event', () => {
  it('ignores non-GenAI spans and skips GenAI spans missing a model or tokens', () => {
    const { events, skipped } = spansToEvents(
      request([
        span('0000000000000301', 'GET /health', {
          'http.request.method': 'GET',
          'http.response.status_code': 200,
        }),
        span('0000000000000302', 'chat gpt-4o', {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.operation.name': 'chat',
        }),
        span('0000000000000303', 'tokens only', { 'gen_ai.usage.input_tokens': 5 }),
        span('0000000000000304', 'negative', {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': -1,
        }),
      ]),
    );
    expect(events).toEqual([]);
    expect(skipped).toBe(3);
  });

  it('counts a span sent twice in one export once', () => {
    const s = span('0000000000000401', 'chat', {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 5,
    });
    const { events, skipped } = spansToEvents(request([s, s]));
    expect(events).toHaveLength(1);
    expect(skipped).toBe(1);
  });
});

describe('spansToEvents: tags', () => {
  const chat = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5 };

  it('span attributes win over resource ones; Vercel metadata over resource greenprint.*', () => {
    const { events } = spansToEvents(
      request(
        [
          span('0000000000000501', 'chat', {
            ...chat,
            'greenprint.project': 'from-span',
            'ai.telemetry.metadata.run': 'run-7',
            'ai.telemetry.metadata.stage': 'meta-stage',
          }),
        ],
        {
          'service.name': 'svc',
          'greenprint.project': 'from-resource',
          'greenprint.pipeline': 'nightly',
          'greenprint.stage': 'resource-stage',
          'greenprint.deployment': 'on_my_laptop',
        },
      ),
    );
    expect(events[0]).toMatchObject({
      project: 'from-span',
      pipeline: 'nightly',
      stage: 'meta-stage',
      run: 'run-7',
    });
    expect(events[0]?.deployment).toBeUndefined();
  });

  it('falls back to service.name for the project, but not to the SDK default', () => {
    const named = spansToEvents(
      request([span('0000000000000601', 'chat', chat)], { 'service.name': 'billing' }),
    );
    expect(named.events[0]?.project).toBe('billing');
    const unnamed = spansToEvents(
      request([span('0000000000000602', 'chat', chat)], { 'service.name': 'unknown_service:node' }),
    );
    expect(unnamed.events[0]?.project).toBeUndefined();
  });
});

describe('normalizeProvider', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'google_genai'],
    ['google.vertex.chat', 'google_genai'],
    ['gcp.vertex_ai', 'google_genai'],
    ['mistral.chat', 'mistralai'],
    ['Anthropic', 'anthropic'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['aws.bedrock', 'aws.bedrock'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['huggingface', 'huggingface_hub'],
    ['my-vllm.chat', 'my-vllm'],
    ['MyGateway', 'MyGateway'],
    ['together.ai', 'together.ai'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeProvider(raw)).toBe(expected);
  });
});
