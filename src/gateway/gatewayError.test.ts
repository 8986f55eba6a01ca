import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE, type FakeUpstream, startFakeUpstream } from './fixtures/fakeUpstream.js';
import {
  CLIENT_KEY,
  CLIENT_KEY_HASH,
  startGateway,
  type TestGateway,
  UPSTREAM_ENV,
  until,
} from './fixtures/harness.js';
import { GATEWAY_ERROR_CODES, GATEWAY_STATUS_BY_CODE } from './gatewayError.js';
import { LIMIT_ERROR_CODES } from './limits/limitError.js';

let fake: FakeUpstream;
let gateway: TestGateway;
let deadPort: number;

const MODELS = ['gpt-4o-mini', 'text-embedding-3-small', 'whisper-1', 'tts-1'];

beforeAll(async () => {
  fake = await startFakeUpstream();
  deadPort = await freePort();
  gateway = await startGateway({
    server: { maxBodyBytes: 4096 },
    upstreams: [
      {
        name: 'impatient',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_OPENAI_KEY',
        provider: 'openai',
        models: ['gpt-4o-mini-slow'],
        timeoutMs: 300,
      },
      { name: 'gone', baseUrl: `http://127.0.0.1:${deadPort}/v1`, provider: 'openai', models: ['gpt-4o'] },
      {
        name: 'keyless',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_UNSET_KEY',
        provider: 'openai',
        models: ['gpt-4.1'],
      },
      {
        name: 'fake-openai',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_OPENAI_KEY',
        provider: 'openai',
        models: MODELS,
      },
      {
        name: 'fake-anthropic',
        kind: 'anthropic',
        baseUrl: fake.baseUrl,
        apiKeyEnv: 'GP_TEST_ANTHROPIC_KEY',
        provider: 'anthropic',
        models: [FAKE.anthropicModel],
        timeoutMs: 300,
      },
    ],
    keys: [{ id: 'key-checkout', sha256: CLIENT_KEY_HASH, project: 'checkout' }],
  });
});

afterEach(() => {
  fake.reset();
  gateway.sink.events.length = 0;
});

afterAll(async () => {
  await gateway.close();
  await fake.close();
});

const AUTH = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };

function post(path: string, body: string | Record<string, unknown>, headers: Record<string, string> = AUTH) {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

/** Status and an OpenAI-shaped error with exactly message, type, code and param. */
async function expectError(res: Response, code: string) {
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect({ status: res.status, code: body.error.code }).toEqual({
    status: GATEWAY_STATUS_BY_CODE[code as keyof typeof GATEWAY_STATUS_BY_CODE],
    code,
  });
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const text = JSON.stringify(body);
  for (const secret of [...Object.values(UPSTREAM_ENV), CLIENT_KEY]) expect(text).not.toContain(secret);
  return body.error as { message: string; type: string; code: string; param: string | null };
}

describe('request errors', () => {
  it('every code has a status', () => {
    for (const code of GATEWAY_ERROR_CODES) expect(GATEWAY_STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
  });

  it('every code the gateway and its policies answer with is one of GATEWAY_ERROR_CODES', () => {
    // GatewayError's constructor is typed on the codes; the scan also catches codes written into bodies.
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('fixtures'),
    );
    const used = new Map<string, string>();
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/new GatewayError\(\s*'([a-z_]+)'|\bcode: '([a-z_]+)'/g)) {
        used.set((m[1] ?? m[2]) as string, file);
      }
    }
    for (const code of [...LIMIT_ERROR_CODES, 'budget_exceeded', 'budget_unavailable'])
      used.set(code, 'policy');
    expect(used.size).toBeGreaterThan(12);
    const known = new Set<string>(GATEWAY_ERROR_CODES);
    expect([...used].filter(([code]) => !known.has(code))).toEqual([]);
  });

  it('malformed JSON → 400 invalid_json', async () => {
    const error = await expectError(
      await post('/v1/chat/completions', '{"model": "gpt-4o-mini",'),
      'invalid_json',
    );
    expect(error.type).toBe('invalid_request_error');
    await expectError(await post('/v1/chat/completions', '["gpt-4o-mini"]'), 'invalid_json');
    await expectError(await post('/v1/embeddings', ''), 'invalid_json');
    expect(fake.requests).toHaveLength(0);
  });

  it('no model → 400 missing_model, for JSON and multipart', async () => {
    const error = await expectError(await post('/v1/chat/completions', { messages: [] }), 'missing_model');
    expect(error.param).toBe('model');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'a.wav');
    const res = await fetch(`${gateway.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: AUTH.authorization },
      body: form,
    });
    await expectError(res, 'missing_model');
  });

  it('a transcription that is not multipart → 415 unsupported_media_type', async () => {
    await expectError(
      await post('/v1/audio/transcriptions', { model: 'whisper-1' }),
      'unsupported_media_type',
    );
  });

  it('a body over server.maxBodyBytes → 413 body_too_large, declared or streamed', async () => {
    const big = JSON.stringify(chat('gpt-4o-mini', { pad: 'x'.repeat(5000) }));
    const error = await expectError(await post('/v1/chat/completions', big), 'body_too_large');
    expect(error.message).toContain('4096');
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: streamed,
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 'body_too_large');
    expect(fake.requests).toHaveLength(0);
  });

  it('a model no upstream serves → 404 model_not_found naming the available ones', async () => {
    const error = await expectError(
      await post('/v1/chat/completions', chat('gpt-9-ultra')),
      'model_not_found',
    );
    expect(error.message).toContain('"gpt-9-ultra"');
    expect(error.message).toContain('gpt-4o-mini, text-embedding-3-small');
    expect(error.param).toBe('model');
  });

  it('/v1/messages routes to anthropic upstreams only and answers errors in Anthropic shape', async () => {
    const res = await post('/v1/messages', chat('gpt-4o-mini', { max_tokens: 10 }), {
      'x-api-key': CLIENT_KEY,
      'content-type': 'application/json',
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as {
      type: string;
      error: { type: string; code: string; message: string };
    };
    expect(body.type).toBe('error');
    expect(body.error).toMatchObject({ type: 'not_found_error', code: 'model_not_found' });
    expect(body.error.message).toContain(FAKE.anthropicModel);
  });
});

describe('authentication', () => {
  it('no key → 401 missing_api_key; unknown key → 401 invalid_api_key', async () => {
    const json = { 'content-type': 'application/json' };
    await expectError(await post('/v1/chat/completions', chat('gpt-4o-mini'), json), 'missing_api_key');
    const wrong = { ...json, authorization: `Bearer ${UPSTREAM_ENV.GP_TEST_OPENAI_KEY}` };
    const error = await expectError(
      await post('/v1/chat/completions', chat('gpt-4o-mini'), wrong),
      'invalid_api_key',
    );
    expect(error.type).toBe('authentication_error');
    await expectError(
      await post('/v1/chat/completions', chat('gpt-4o-mini'), { ...json, 'x-api-key': 'nope' }),
      'invalid_api_key',
    );
    const res = await fetch(`${gateway.url}/v1/models`);
    await expectError(res, 'missing_api_key');
    expect(fake.requests).toHaveLength(0);
  });

  it('a key once accepted is remembered with both headers that carried it, never one alone', async () => {
    const json = { 'content-type': 'application/json' };
    const basic = { ...json, authorization: 'Basic Zm9vOmJhcg==' };
    const ok = await post('/v1/chat/completions', chat('gpt-4o-mini'), { ...basic, 'x-api-key': CLIENT_KEY });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    for (let i = 0; i < 2; i++) {
      await expectError(
        await post('/v1/chat/completions', chat('gpt-4o-mini'), { ...basic, 'x-api-key': 'nope' }),
        'invalid_api_key',
      );
      await expectError(await post('/v1/chat/completions', chat('gpt-4o-mini'), basic), 'missing_api_key');
    }
  });

  it('the official client sees an AuthenticationError with the stable code', async () => {
    const bad = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'gp_wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create(chat('gpt-4o-mini') as never)).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('without keys: open on loopback (project default), closed when requireKey is set', async () => {
    const upstreams = [{ name: 'fake-openai', baseUrl: fake.baseUrl, provider: 'openai' }];
    const open = await startGateway({ upstreams });
    const closed = await startGateway({ upstreams }, { requireKey: true });
    try {
      const json = { 'content-type': 'application/json' };
      const res = await fetch(`${open.url}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(chat('gpt-4o-mini')),
      });
      expect(res.status).toBe(200);
      expect(open.sink.events[0]?.project).toBe('default');
      const refused = await fetch(`${closed.url}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(chat('gpt-4o-mini')),
      });
      const error = await expectError(refused, 'missing_api_key');
      expect(error.message).toContain('no keys');
    } finally {
      await open.close();
      await closed.close();
    }
  });
});

describe('the upstream target comes from the config only', () => {
  it('ignores host-changing headers and body fields', async () => {
    const decoy = await startDecoy();
    try {
      const res = await post(
        '/v1/chat/completions',
        chat('gpt-4o-mini', { base_url: decoy.url, baseURL: decoy.url, api_base: decoy.url }),
        {
          ...AUTH,
          'x-portkey-custom-host': decoy.url,
          'x-forwarded-host': `127.0.0.1:${decoy.port}`,
          'x-upstream-url': decoy.url,
          'x-greenprint-upstream': decoy.url,
        },
      );
      expect(res.status).toBe(200);
      expect(decoy.hits).toBe(0);
      expect(fake.requests).toHaveLength(1);
      const headers = JSON.stringify(fake.requests[0]?.headers);
      expect(headers).not.toContain(decoy.url);
      expect(headers).not.toContain(String(decoy.port));
    } finally {
      await decoy.close();
    }
  });
});

describe('upstream failures', () => {
  it('upstream 500 and 429 pass through with status, body and Retry-After', async () => {
    fake.behaviour = 'error500';
    const res500 = await post('/v1/chat/completions', chat('gpt-4o-mini'));
    expect(res500.status).toBe(500);
    expect(res500.headers.get('x-greenprint-upstream-status')).toBe('500');
    expect(await res500.text()).toBe(
      '{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":"server_error"}}',
    );
    fake.behaviour = 'error429';
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
    const error = await client.chat.completions.create(chat('gpt-4o-mini') as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-greenprint-upstream-status')).toBe(
      '429',
    );
    expect(gateway.sink.events).toHaveLength(0);
  });

  it('unreachable upstream → 502 upstream_unavailable', async () => {
    const error = await expectError(
      await post('/v1/chat/completions', chat('gpt-4o')),
      'upstream_unavailable',
    );
    expect(error.message).toContain('"gone"');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.type).toBe('server_error');
  });

  it('upstream key variable not set → 500 upstream_key_missing naming the variable', async () => {
    const error = await expectError(
      await post('/v1/chat/completions', chat('gpt-4.1')),
      'upstream_key_missing',
    );
    expect(error.message).toContain('GP_TEST_UNSET_KEY');
    expect(fake.requests).toHaveLength(0);
  });

  it('an upstream that never answers → 504 upstream_timeout after timeoutMs', async () => {
    fake.behaviour = 'hang';
    const started = Date.now();
    const error = await expectError(
      await post('/v1/chat/completions', chat('gpt-4o-mini-slow')),
      'upstream_timeout',
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toContain('300 ms');
    expect(await until(() => fake.closedEarly === 1)).toBe(true);
  });

  it('a stream that stalls ends with an in-stream upstream_timeout error, not a hang', async () => {
    fake.behaviour = 'hangMidStream';
    const res = await post('/v1/chat/completions', chat('gpt-4o-mini-slow', { stream: true }));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"Hello"');
    const last = text.trimEnd().split('\n\n');
    expect(last.at(-2)).toMatch(/^data: \{"error":\{.*"code":"upstream_timeout"/);
    expect(last.at(-1)).toMatch(/^: greenprint \{"eventId":"gw_.*","warning":"unmetered"\}$/);
    expect(gateway.sink.events).toHaveLength(0);
  });

  it('an OpenAI stream dropped mid-way ends cleanly with an error the client sees', async () => {
    fake.behaviour = 'dropMidStream';
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const seen: string[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['Hello']);
    expect(outcome).toBeInstanceOf(OpenAI.APIError);
    expect((outcome as Error).message).toContain('broke off');
    // OpenAI reports usage only at the end: nothing was seen, so nothing is recorded.
    expect(gateway.sink.events).toHaveLength(0);
  });

  it('an Anthropic stream dropped mid-way records the usage seen so far', async () => {
    fake.behaviour = 'dropMidStream';
    const res = await post('/v1/messages', chat(FAKE.anthropicModel, { stream: true, max_tokens: 10 }), {
      'x-api-key': CLIENT_KEY,
      'content-type': 'application/json',
    });
    const text = await res.text();
    expect(text).toContain('event: message_start');
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error",.*"code":"upstream_interrupted"/,
    );
    const u = FAKE.anthropicUsage;
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject({
      requestModel: FAKE.anthropicModel,
      inputTokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
      outputTokens: 1,
    });
    expect(text).toContain(`: greenprint {"eventId":"${gateway.sink.events[0]?.id}","energyWh":`);
  });

  it('malformed SSE data passes through untouched and the usage is still metered', async () => {
    fake.behaviour = 'malformedSse';
    const res = await post('/v1/chat/completions', chat('gpt-4o-mini', { stream: true }));
    const text = await res.text();
    expect(text).toContain('data: {"id": "broken", "choices": [\n\n');
    expect(text).not.toContain('"choices":[],');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(gateway.sink.events[0]).toMatchObject({ inputTokens: FAKE.chatUsage.prompt_tokens });
  });

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    fake.behaviour = 'hangMidStream';
    const controller = new AbortController();
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify(chat('gpt-4o-mini', { stream: true })),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('"content":"Hello"');
    controller.abort();
    expect(await until(() => fake.closedEarly === 1)).toBe(true);
  });

  it('a client that disconnects before the upstream answers aborts the upstream request', async () => {
    fake.behaviour = 'hang';
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify(chat('gpt-4o-mini')),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(await until(() => fake.requests.length === 1)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // Well before the upstream's default 120 s timeout.
    expect(await until(() => fake.closedEarly === 1, 1000)).toBe(true);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startDecoy() {
  const decoy = { hits: 0, url: '', port: 0, close: async () => {} };
  const server = createServer((_req, res) => {
    decoy.hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  decoy.port = (server.address() as AddressInfo).port;
  decoy.url = `http://127.0.0.1:${decoy.port}/v1`;
  decoy.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return decoy;
}
