import type { AddressInfo } from 'node:net';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { serve } from '@hono/node-server';
import { generateText, streamText } from 'ai';
import { Hono } from 'hono';
import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../core/index.js';
import { parseGatewayConfig } from './config.js';
import { createGateway } from './createGateway.js';
import { FAKE, type FakeUpstream, startFakeUpstream } from './fixtures/fakeUpstream.js';
import {
  CLIENT_KEY,
  CLIENT_KEY_HASH,
  CollectingSink,
  estimator,
  startGateway,
  type TestGateway,
  UPSTREAM_ENV,
  until,
} from './fixtures/harness.js';
import type { GatewayPolicy } from './policy.js';

let fake: FakeUpstream;
let gateway: TestGateway;
let client: OpenAI;

const ATTRIBUTION = { 'x-greenprint-pipeline': 'support-bot', 'x-greenprint-stage': 'answer' };
const OPENAI_UPSTREAM = { provider: 'openai', region: 'us-east-1', deployment: 'managed_api' } as const;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gateway = await startGateway({
    upstreams: [
      {
        name: 'fake-embeddings',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_EMBEDDINGS_KEY',
        provider: 'openai',
        region: 'us-east-1',
        models: ['text-embedding-3-small'],
      },
      {
        name: 'fake-openai',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_OPENAI_KEY',
        provider: 'openai',
        region: 'us-east-1',
        models: ['gpt-4o-mini', 'tts-1', '*'],
      },
      {
        name: 'fake-anthropic',
        kind: 'anthropic',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_ANTHROPIC_KEY',
        provider: 'anthropic',
        models: [FAKE.anthropicModel],
      },
    ],
    keys: [{ id: 'key-checkout', sha256: CLIENT_KEY_HASH, project: 'checkout' }],
    aliases: { fast: 'gpt-4o-mini', 'whisper-fast': 'whisper-1' },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
});

afterEach(() => {
  fake.reset();
  gateway.sink.events.length = 0;
});

afterAll(async () => {
  await gateway.close();
  await fake.close();
});

/** The footprint headers hold the estimator's figures for exactly this event. */
function expectFootprintHeaders(headers: Headers, expected: UsageEvent): void {
  const impact = estimator.estimate(expected);
  expect(headers.get('x-greenprint-warning')).toBeNull();
  expect(Number(headers.get('x-greenprint-energy-wh'))).toBe(impact.energyWh.mid);
  expect(Number(headers.get('x-greenprint-co2e-g'))).toBe(impact.carbonGCO2e.location.mid);
  const range = (headers.get('x-greenprint-co2e-g-range') ?? '').split('-').map(Number);
  expect(range).toEqual([impact.carbonGCO2e.location.low, impact.carbonGCO2e.location.high]);
}

/** The upstream got its own key and nothing of the client's. */
function expectUpstreamKey(index: number, header: 'authorization' | 'x-api-key', value: string): void {
  const received = fake.requests[index];
  expect(received).toBeDefined();
  expect(received?.headers[header]).toBe(value);
  const all = JSON.stringify(received?.headers) + received?.body.toString('latin1');
  expect(all).not.toContain(CLIENT_KEY);
  expect(all).not.toContain('x-greenprint');
}

/** Footprint in the stream's closing comment, which comes just before `data: [DONE]` when there is one. */
function streamFootprint(text: string) {
  const match = text.match(/^: greenprint (.*)$/m);
  expect(match).not.toBeNull();
  return JSON.parse(match?.[1] ?? '{}') as {
    eventId: string;
    energyWh: { low: number; mid: number; high: number };
    co2eG: { low: number; mid: number; high: number };
  };
}

const CHAT_EVENT = {
  ...OPENAI_UPSTREAM,
  operation: 'chat',
  requestModel: 'gpt-4o-mini',
  responseModel: FAKE.chatModel,
  inputTokens: FAKE.chatUsage.prompt_tokens,
  outputTokens: FAKE.chatUsage.completion_tokens,
  cachedInputTokens: FAKE.chatUsage.cached_tokens,
  reasoningTokens: FAKE.chatUsage.reasoning_tokens,
} as const;

describe('chat completions through the official openai client', () => {
  it('answers JSON intact with footprint headers and hands the event to the sink', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }, { headers: ATTRIBUTION })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(FAKE.chatText);
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(FAKE.chatUsage.cached_tokens);
    expectFootprintHeaders(response.headers, CHAT_EVENT);
    expectUpstreamKey(0, 'authorization', `Bearer ${UPSTREAM_ENV.GP_TEST_OPENAI_KEY}`);
    expect(gateway.sink.events).toHaveLength(1);
    const event = gateway.sink.events[0];
    expect(event).toMatchObject({
      ...CHAT_EVENT,
      project: 'checkout',
      pipeline: 'support-bot',
      stage: 'answer',
      tags: { upstream: 'fake-openai' },
    });
    expect(event?.id).toBe(response.headers.get('x-greenprint-event-id'));
    expect(event?.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(event?.startTime ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('streams without the usage-only chunk the client did not ask for, and meters it anyway', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(FAKE.chatText);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
    // The gateway asked upstream for usage on the client's behalf.
    expect(fake.requests[0]?.json?.stream_options).toEqual({ include_usage: true });
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject({ ...CHAT_EVENT, project: 'checkout' });
    expect(gateway.sink.events[0]?.id).toBe(response.headers.get('x-greenprint-event-id'));
  });

  it('forwards the usage chunk to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens_details?.reasoning_tokens).toBe(FAKE.chatUsage.reasoning_tokens);
    expect(gateway.sink.events[0]).toMatchObject(CHAT_EVENT);
  });

  it('closes the stream with the footprint comment just before [DONE]', async () => {
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBe('req_fake');
    const text = await res.text();
    expect(text.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
    const lines = text.trimEnd().split('\n\n');
    expect(lines.at(-2)).toMatch(/^: greenprint /);
    const footprint = streamFootprint(text);
    const impact = estimator.estimate(CHAT_EVENT);
    expect(footprint.energyWh).toEqual(impact.energyWh);
    expect(footprint.co2eG).toEqual(impact.carbonGCO2e.location);
    expect(footprint.eventId).toBe(res.headers.get('x-greenprint-event-id'));
    expect(gateway.sink.events[0]?.id).toBe(footprint.eventId);
  });

  it('sends the client bytes upstream unchanged when nothing needs to change', async () => {
    const body =
      '{ "messages":[{"role":"user","content":"Grüße 🌍"}],\n  "model" : "gpt-4o-mini", "x_extra": 1 }';
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.body.toString('utf8')).toBe(body);
  });

  it('applies an alias: the upstream gets the target model, the event keeps the alias as a tag', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(fake.requests[0]?.json?.model).toBe('gpt-4o-mini');
    expectFootprintHeaders(response.headers, CHAT_EVENT);
    expect(gateway.sink.events[0]).toMatchObject({ requestModel: 'gpt-4o-mini', tags: { alias: 'fast' } });
  });
});

describe('the Vercel AI SDK (openai-compatible provider)', () => {
  const provider = () =>
    createOpenAICompatible({
      name: 'openai',
      baseURL: `${gateway.url}/v1`,
      apiKey: CLIENT_KEY,
      includeUsage: true,
    });

  it('generateText: text, usage and footprint headers', async () => {
    const result = await generateText({
      model: provider()('gpt-4o-mini'),
      prompt: 'Say hello.',
      maxRetries: 0,
    });
    expect(result.text).toBe(FAKE.chatText);
    expect(result.usage.inputTokens).toBe(FAKE.chatUsage.prompt_tokens);
    expect(result.usage.outputTokens).toBe(FAKE.chatUsage.completion_tokens);
    expectFootprintHeaders(new Headers(result.response.headers), CHAT_EVENT);
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject({ ...CHAT_EVENT, project: 'checkout' });
  });

  it('streamText with includeUsage: the usage chunk reaches the SDK', async () => {
    const result = streamText({ model: provider()('gpt-4o-mini'), prompt: 'Say hello.', maxRetries: 0 });
    expect(await result.text).toBe(FAKE.chatText);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(FAKE.chatUsage.prompt_tokens);
    expect(usage.outputTokens).toBe(FAKE.chatUsage.completion_tokens);
    expect(usage.inputTokenDetails.cacheReadTokens).toBe(FAKE.chatUsage.cached_tokens);
    expect(fake.requests[0]?.json?.stream_options).toEqual({ include_usage: true });
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject(CHAT_EVENT);
  });
});

describe('other OpenAI endpoints', () => {
  const completionEvent = {
    ...OPENAI_UPSTREAM,
    operation: 'text_completion',
    requestModel: 'gpt-3.5-turbo-instruct',
    responseModel: FAKE.completionModel,
    inputTokens: FAKE.chatUsage.prompt_tokens,
    outputTokens: FAKE.chatUsage.completion_tokens,
    cachedInputTokens: FAKE.chatUsage.cached_tokens,
    reasoningTokens: FAKE.chatUsage.reasoning_tokens,
  } as const;

  it('completions, JSON and streamed', async () => {
    const { data, response } = await client.completions
      .create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello.' })
      .withResponse();
    expect(data.choices[0]?.text).toBe(FAKE.chatText);
    expectFootprintHeaders(response.headers, completionEvent);
    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Hi',
      stream: true,
    });
    const texts = [];
    for await (const chunk of stream) {
      expect(chunk.choices).toHaveLength(1);
      texts.push(chunk.choices[0]?.text);
    }
    expect(texts.join('')).toBe(FAKE.chatText);
    expect(gateway.sink.events).toHaveLength(2);
    expect(gateway.sink.events[1]).toMatchObject(completionEvent);
  });

  it('embeddings, routed to the first upstream that lists the model', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' })
      .withResponse();
    expect(data.data[0]?.embedding).toEqual([0.1, -0.2, 0.3]);
    const expected = {
      ...OPENAI_UPSTREAM,
      operation: 'embeddings',
      requestModel: 'text-embedding-3-small',
      responseModel: FAKE.embeddingModel,
      inputTokens: FAKE.embeddingTokens,
    } as const;
    expectFootprintHeaders(response.headers, expected);
    expectUpstreamKey(0, 'authorization', `Bearer ${UPSTREAM_ENV.GP_TEST_EMBEDDINGS_KEY}`);
    expect(gateway.sink.events[0]).toMatchObject({ ...expected, tags: { upstream: 'fake-embeddings' } });
  });

  it('image generation: count from the answer, size from the request', async () => {
    const { data, response } = await client.images
      .generate({ model: 'dall-e-3', prompt: 'A green leaf', n: 2, size: '1792x1024' })
      .withResponse();
    expect(data.data).toHaveLength(2);
    const expected = {
      ...OPENAI_UPSTREAM,
      operation: 'image_generation',
      requestModel: 'dall-e-3',
      images: { count: 2, width: 1792, height: 1024 },
    } as const;
    expectFootprintHeaders(response.headers, expected);
    expect(gateway.sink.events[0]).toMatchObject(expected);
  });

  it('speech: binary audio passes through, characters from the input', async () => {
    const input = 'Hello, green world.';
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(FAKE.speechBytes);
    const expected = {
      ...OPENAI_UPSTREAM,
      operation: 'audio_speech',
      requestModel: 'tts-1',
      audio: { characters: input.length },
    } as const;
    expectFootprintHeaders(res.headers, expected);
    expect(await until(() => gateway.sink.events.length === 1)).toBe(true);
    expect(gateway.sink.events[0]).toMatchObject(expected);
    expect(gateway.sink.events[0]?.id).toBe(res.headers.get('x-greenprint-event-id'));
  });

  it('transcription via the client: seconds from usage', async () => {
    const file = await toFile(Buffer.from('RIFF fake wav'), 'hello.wav', { type: 'audio/wav' });
    const { data, response } = await client.audio.transcriptions
      .create({ model: 'whisper-1', file })
      .withResponse();
    expect(data.text).toBe(FAKE.transcriptText);
    const expected = {
      ...OPENAI_UPSTREAM,
      operation: 'audio_transcription',
      requestModel: 'whisper-1',
      audio: { seconds: FAKE.transcriptSeconds },
    } as const;
    expectFootprintHeaders(response.headers, expected);
    expect(gateway.sink.events[0]).toMatchObject(expected);
  });

  it('transcription multipart passes byte for byte; verbose_json duration meters it; text is unmetered', async () => {
    const post = async (fields: Record<string, string>) => {
      const form = new FormData();
      form.append(
        'file',
        new Blob([new Uint8Array([0, 1, 2, 255, 13, 10, 45, 45])], { type: 'audio/wav' }),
        'a.wav',
      );
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const encoded = new Request('http://127.0.0.1/', { method: 'POST', body: form });
      const type = encoded.headers.get('content-type') ?? '';
      const bytes = Buffer.from(await encoded.arrayBuffer());
      const res = await fetch(`${gateway.url}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': type },
        body: bytes,
      });
      return { res, type, bytes, received: fake.requests.at(-1) };
    };
    const verbose = await post({ model: 'whisper-1', response_format: 'verbose_json' });
    expect(verbose.res.status).toBe(200);
    expect(verbose.received?.headers['content-type']).toBe(verbose.type);
    expect(verbose.received?.body.equals(verbose.bytes)).toBe(true);
    expect(gateway.sink.events[0]).toMatchObject({ audio: { seconds: FAKE.verboseDuration } });

    const text = await post({ model: 'whisper-1', response_format: 'text' });
    expect(await text.res.text()).toBe(FAKE.transcriptText);
    expect(text.res.headers.get('x-greenprint-warning')).toBe('unmetered');
    expect(text.res.headers.get('x-greenprint-event-id')).toBeNull();
    expect(gateway.sink.events).toHaveLength(1);

    // An alias rewrites only the model field's value.
    const aliased = await post({ model: 'whisper-fast' });
    const expectedBytes = aliased.bytes.toString('latin1').replace('whisper-fast', 'whisper-1');
    expect(aliased.received?.body.toString('latin1')).toBe(expectedBytes);
    expect(gateway.sink.events[1]).toMatchObject({
      requestModel: 'whisper-1',
      tags: { alias: 'whisper-fast' },
    });
  });

  it('lists configured models and aliases', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual([
      'text-embedding-3-small',
      'gpt-4o-mini',
      'tts-1',
      FAKE.anthropicModel,
      'fast',
      'whisper-fast',
    ]);
  });

  it('a model the catalog does not know: the answer still flows, with a warning, and the event is recorded', async () => {
    const res = await client.audio.speech.create({ model: 'custom-voice-v2', voice: 'alloy', input: 'Hi' });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(FAKE.speechBytes);
    expect(res.headers.get('x-greenprint-warning')).toMatch(
      /^unknown_model: Unknown model "custom-voice-v2"/,
    );
    expect(res.headers.get('x-greenprint-energy-wh')).toBeNull();
    expect(await until(() => gateway.sink.events.length === 1)).toBe(true);
    expect(gateway.sink.events[0]).toMatchObject({
      requestModel: 'custom-voice-v2',
      audio: { characters: 2 },
    });
  });
});

describe('Anthropic messages', () => {
  const u = FAKE.anthropicUsage;
  const expected = {
    operation: 'chat',
    provider: 'anthropic',
    deployment: 'managed_api',
    requestModel: FAKE.anthropicModel,
    responseModel: FAKE.anthropicModel,
    inputTokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
    cachedInputTokens: u.cache_read_input_tokens,
    outputTokens: u.output_tokens,
  } as const;
  const post = (body: Record<string, unknown>) =>
    fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': CLIENT_KEY,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: FAKE.anthropicModel,
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
        ...body,
      }),
    });

  it('JSON: the upstream gets its x-api-key and anthropic-version; tokens include cache reads and writes', async () => {
    const res = await post({});
    expect(res.status).toBe(200);
    const body = (await res.json()) as { content: { text: string }[] };
    expect(body.content[0]?.text).toBe(FAKE.chatText);
    expectFootprintHeaders(res.headers, expected);
    expectUpstreamKey(0, 'x-api-key', UPSTREAM_ENV.GP_TEST_ANTHROPIC_KEY);
    expect(fake.requests[0]?.headers['anthropic-version']).toBe('2023-06-01');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    expect(gateway.sink.events[0]).toMatchObject({
      ...expected,
      project: 'checkout',
      tags: { upstream: 'fake-anthropic' },
    });
  });

  it('stream: every event passes, usage from message_start and message_delta, footprint at the end', async () => {
    const res = await post({ stream: true });
    const text = await res.text();
    const types = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^: greenprint /);
    const footprint = streamFootprint(text);
    expect(footprint.energyWh).toEqual(estimator.estimate(expected).energyWh);
    expect(gateway.sink.events[0]).toMatchObject(expected);
  });
});

describe('mounted into another Hono app', () => {
  it("keeps its auth and error shape to its own routes and leaves the host app's routes alone", async () => {
    const host = new Hono();
    host.get('/v1/ledger/report', (c) => c.json({ ok: true }));
    host.route(
      '/',
      createGateway({
        config: parseGatewayConfig({
          upstreams: [{ name: 'fake-openai', baseUrl: fake.baseUrl, provider: 'openai' }],
          keys: [{ id: 'k', sha256: CLIENT_KEY_HASH, project: 'mounted' }],
        }),
        estimator,
        sink: gateway.sink,
      }),
    );
    host.onError((_error, c) => c.json({ host: true }, 500));
    const server = serve({ fetch: host.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${url}/v1/ledger/report`)).json()).toEqual({ ok: true });
      const refused = await fetch(`${url}/v1/embeddings`, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { code: 'missing_api_key' } });
      const res = await fetch(`${url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' }),
      });
      expect(res.status).toBe(200);
      expect(gateway.sink.events[0]).toMatchObject({ project: 'mounted', inputTokens: FAKE.embeddingTokens });
    } finally {
      server.close();
    }
  });
});

describe('policies and a failing sink', () => {
  it('a policy sees the routed call and may answer itself; its answer is metered like an upstream one', async () => {
    const seen: string[] = [];
    const canned = JSON.stringify({ model: FAKE.embeddingModel, data: [], usage: { prompt_tokens: 3 } });
    const policy: GatewayPolicy = async (call, next) => {
      seen.push(`${call.identity.project}:${call.upstream.name}:${call.model}`);
      if (call.operation === 'embeddings') {
        return new Response(canned, { headers: { 'content-type': 'application/json' } });
      }
      return next(call);
    };
    const errors: Error[] = [];
    const throwing = new (class extends CollectingSink {
      override enqueue(): string {
        throw new Error('disk full');
      }
    })();
    const local = await startGateway(
      {
        upstreams: [{ name: 'fake-openai', baseUrl: fake.baseUrl, provider: 'openai' }],
        keys: [{ id: 'k', sha256: CLIENT_KEY_HASH, project: 'p1' }],
      },
      { policies: [policy] },
    );
    const broken = await startGateway(
      { upstreams: [{ name: 'fake-openai', baseUrl: fake.baseUrl, provider: 'openai' }] },
      { sink: throwing, onError: (e) => errors.push(e) },
    );
    try {
      const c = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const { response } = await c.embeddings
        .create({ model: 'text-embedding-3-small', input: 'x' })
        .withResponse();
      expect(fake.requests).toHaveLength(0);
      expect(response.headers.get('x-greenprint-energy-wh')).not.toBeNull();
      expect(local.sink.events[0]).toMatchObject({ inputTokens: 3, project: 'p1' });
      await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      expect(fake.requests).toHaveLength(1);
      expect(seen).toEqual(['p1:fake-openai:text-embedding-3-small', 'p1:fake-openai:gpt-4o-mini']);

      const open = new OpenAI({ baseURL: `${broken.url}/v1`, apiKey: 'anything', maxRetries: 0 });
      const answer = await open.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(answer.choices[0]?.message.content).toBe(FAKE.chatText);
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/could not hand event gw_\w+ to the sink/),
      ]);
    } finally {
      await local.close();
      await broken.close();
    }
  });
});
