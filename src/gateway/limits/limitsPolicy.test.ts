import { encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../authenticate.js';
import { parseGatewayConfig } from '../config.js';
import { CLIENT_KEY, startGateway, type TestGateway } from '../fixtures/harness.js';
import { type ScriptedUpstream, startScriptedUpstream } from '../policies/fixtures/scriptedUpstream.js';
import { LIMIT_HEADER, limitsPolicy } from './index.js';

const BETA_KEY = 'gp_test_beta_key';

let upstream: ScriptedUpstream;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream();
});

afterEach(async () => {
  upstream.reset();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

afterAll(async () => {
  await upstream.close();
});

function rawConfig(limits: unknown[]) {
  return {
    upstreams: [
      {
        name: 'primary',
        baseUrl: `${upstream.url}/primary/v1`,
        apiKeyEnv: 'GP_TEST_OPENAI_KEY',
        provider: 'openai',
        models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'],
      },
      {
        name: 'claude',
        kind: 'anthropic',
        baseUrl: `${upstream.url}/claude/v1`,
        apiKeyEnv: 'GP_TEST_ANTHROPIC_KEY',
        provider: 'anthropic',
        models: ['claude-sonnet-4-5'],
      },
    ],
    keys: [
      { id: 'alpha', sha256: hashApiKey(CLIENT_KEY), project: 'alpha' },
      { id: 'beta', sha256: hashApiKey(BETA_KEY), project: 'beta' },
    ],
    aliases: { fast: 'gpt-4o-mini' },
    limits,
  };
}

/** A gateway whose only policy is limitsPolicy over `limits` (raw, as in greenprint.yaml). */
async function start(limits: unknown[]): Promise<string> {
  const raw = rawConfig(limits);
  const gateway = await startGateway(raw, { policies: [limitsPolicy(parseGatewayConfig(raw).limits)] });
  gateways.push(gateway);
  return gateway.url;
}

function post(url: string, path: string, body: Record<string, unknown> | string, key = CLIENT_KEY) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const chat = (url: string, body: Record<string, unknown> | string, key?: string) =>
  post(url, '/v1/chat/completions', body, key);

interface OpenAIError {
  error: { message: string; type: string; code: string; param: null };
}

async function openAIError(res: Response, code: string): Promise<string> {
  expect(res.status).toBe(400);
  expect(res.headers.get(LIMIT_HEADER)).toBe(`rejected: ${code}`);
  const body = (await res.json()) as OpenAIError;
  expect(body).toEqual({
    error: { message: expect.any(String), type: 'invalid_request_error', code, param: null },
  });
  return body.error.message;
}

const MESSAGES = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Summarise the attached quarterly energy report in one line.' },
];
/** Input tokens of MESSAGES for gpt-4o, framing included, as gpt-tokenizer encodes the chat. */
const N = encodeChat(MESSAGES).length;

const received = () => {
  expect(upstream.requests).toHaveLength(1);
  const request = upstream.requests[0];
  if (!request) throw new Error('no upstream request');
  return request;
};

describe('limitsPolicy: input', () => {
  it('lets an input of exactly maxInputTokens through', async () => {
    const url = await start([{ match: 'gpt-4o', maxInputTokens: N }]);
    const res = await chat(url, { model: 'gpt-4o', messages: MESSAGES });
    expect(res.status).toBe(200);
    expect(received().json?.messages).toEqual(MESSAGES);
  });

  it('answers 400 input_too_long, with the count, the limit and what to do, without calling the upstream', async () => {
    const url = await start([{ match: 'gpt-4o', maxInputTokens: N - 1 }]);
    const message = await openAIError(
      await chat(url, { model: 'gpt-4o', messages: MESSAGES }),
      'input_too_long',
    );
    expect(message).toContain(`${N} tokens (counted with o200k_base)`);
    expect(message).toContain(`limit of ${N - 1} input tokens for gpt-4o`);
    expect(message).toMatch(/trim the prompt/);
    expect(message).toMatch(/summarise/);
    expect(message).toMatch(/retrieve only the passages/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('counts embeddings input', async () => {
    const url = await start([{ match: 'text-embedding-*', maxInputTokens: 3 }]);
    const ok = await post(url, '/v1/embeddings', { model: 'text-embedding-3-small', input: ['hello world'] });
    expect(ok.status).toBe(200);
    const over = await post(url, '/v1/embeddings', {
      model: 'text-embedding-3-small',
      input: ['hello world', 'hello world'],
    });
    expect(await openAIError(over, 'input_too_long')).toContain('4 tokens');
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('limitsPolicy: output cap', () => {
  it('lowers max_completion_tokens in the bytes sent upstream, the rest untouched, and says so', async () => {
    const url = await start([{ match: 'gpt-4o', maxOutputTokens: 100 }]);
    const body =
      '{ "model" : "gpt-4o", "messages":[{"role":"user","content":"Grüße 🌍"}],\n' +
      '  "max_completion_tokens" : 5000, "seed": 12345678901234567890 }';
    const res = await chat(url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get(LIMIT_HEADER)).toBe('output capped to 100');
    const sent = received();
    expect(sent.json?.max_completion_tokens).toBe(100);
    expect(sent.json).not.toHaveProperty('max_tokens');
    expect(sent.body.toString('utf8')).toBe(
      body.replace('"max_completion_tokens" : 5000', '"max_completion_tokens" : 100'),
    );
  });

  it('lowers max_tokens when the request bounds its output with that instead', async () => {
    const url = await start([{ match: 'gpt-4o', maxOutputTokens: 100 }]);
    const res = await chat(url, { model: 'gpt-4o', messages: MESSAGES, max_tokens: 5000 });
    expect(res.headers.get(LIMIT_HEADER)).toBe('output capped to 100');
    expect(received().json).toEqual({ model: 'gpt-4o', messages: MESSAGES, max_tokens: 100 });
  });

  it('adds max_completion_tokens to a chat request without a bound, max_tokens to a completion', async () => {
    const url = await start([{ match: 'gpt-4o', maxOutputTokens: 100 }]);
    const res = await chat(url, { model: 'gpt-4o', messages: MESSAGES });
    expect(res.headers.get(LIMIT_HEADER)).toBe('output capped to 100');
    expect(received().json).toEqual({ max_completion_tokens: 100, model: 'gpt-4o', messages: MESSAGES });
    upstream.reset();
    const completion = await post(url, '/v1/completions', { model: 'gpt-4o', prompt: 'hello world' });
    expect(completion.headers.get(LIMIT_HEADER)).toBe('output capped to 100');
    expect(received().json).toEqual({ max_tokens: 100, model: 'gpt-4o', prompt: 'hello world' });
  });

  it('leaves a request already within the cap byte for byte, without the header', async () => {
    const url = await start([{ match: 'gpt-4o', maxOutputTokens: 100 }]);
    const body = '{"model":"gpt-4o",  "messages":[{"role":"user","content":"Hi"}], "max_tokens": 100}';
    const res = await chat(url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get(LIMIT_HEADER)).toBeNull();
    expect(received().body.toString('utf8')).toBe(body);
  });

  it('caps an Anthropic request’s max_tokens', async () => {
    const url = await start([{ match: 'claude-*', maxOutputTokens: 256 }]);
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Hi' }],
    };
    const res = await post(url, '/v1/messages', body);
    expect(res.status).toBe(200);
    expect(res.headers.get(LIMIT_HEADER)).toBe('output capped to 256');
    const sent = received();
    expect(sent.path).toBe('/claude/v1/messages');
    expect(sent.json).toEqual({ ...body, max_tokens: 256 });
  });
});

describe('limitsPolicy: output reject', () => {
  const rule = { match: 'gpt-4o', maxOutputTokens: 100, outputMode: 'reject' };

  it('answers 400 output_too_long to a request asking for more, without calling the upstream', async () => {
    const url = await start([rule]);
    const res = await chat(url, { model: 'gpt-4o', messages: MESSAGES, max_completion_tokens: 101 });
    const message = await openAIError(res, 'output_too_long');
    expect(message).toContain('up to 101 output tokens (max_completion_tokens)');
    expect(message).toContain('Set max_completion_tokens to 100 or less');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 400 to a request that sets no bound, since it may generate up to the model’s maximum', async () => {
    const url = await start([rule]);
    const message = await openAIError(
      await chat(url, { model: 'gpt-4o', messages: MESSAGES }),
      'output_too_long',
    );
    expect(message).toContain('sets no max_completion_tokens or max_tokens');
    expect(upstream.requests).toHaveLength(0);
  });

  it('passes a request within the limit unchanged', async () => {
    const url = await start([rule]);
    const body = JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, max_tokens: 100 });
    const res = await chat(url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get(LIMIT_HEADER)).toBeNull();
    expect(received().body.toString('utf8')).toBe(body);
  });
});

describe('limitsPolicy: context', () => {
  it('answers 400 context_too_long when input plus requested output exceed maxContextTokens', async () => {
    const url = await start([{ match: 'gpt-4o', maxContextTokens: N + 50 }]);
    const over = await chat(url, { model: 'gpt-4o', messages: MESSAGES, max_completion_tokens: 51 });
    const message = await openAIError(over, 'context_too_long');
    expect(message).toContain(
      `The input (${N} tokens) plus the output bound (51 tokens, max_completion_tokens) is ${N + 51} tokens ` +
        '(counted with o200k_base)',
    );
    expect(message).toContain(`context limit of ${N + 50} tokens for gpt-4o. Lower max_completion_tokens`);
    expect(upstream.requests).toHaveLength(0);
    const fits = await chat(url, { model: 'gpt-4o', messages: MESSAGES, max_completion_tokens: 50 });
    expect(fits.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  it('checks the capped output, not the requested one', async () => {
    const url = await start([
      { match: 'gpt-4o', maxOutputTokens: 50, maxContextTokens: N + 50 },
      { match: 'gpt-4o-mini', maxOutputTokens: 51, maxContextTokens: N + 50 },
    ]);
    const capped = await chat(url, { model: 'gpt-4o', messages: MESSAGES, max_completion_tokens: 100_000 });
    expect(capped.status).toBe(200);
    expect(capped.headers.get(LIMIT_HEADER)).toBe('output capped to 50');
    expect(received().json?.max_completion_tokens).toBe(50);
    upstream.reset();
    const over = await chat(url, {
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      max_completion_tokens: 100_000,
    });
    expect(await openAIError(over, 'context_too_long')).toContain(
      'output bound (51 tokens, max_completion_tokens)',
    );
    expect(upstream.requests).toHaveLength(0);
  });

  it('checks the input alone when the request sets no output bound', async () => {
    const url = await start([{ match: 'gpt-4o', maxContextTokens: N - 1 }]);
    const message = await openAIError(
      await chat(url, { model: 'gpt-4o', messages: MESSAGES }),
      'context_too_long',
    );
    expect(message).toContain(`The input is ${N} tokens`);
    expect(upstream.requests).toHaveLength(0);
  });
  it('holds each embeddings input, which has no output, to the context limit on its own', async () => {
    const url = await start([{ match: 'text-embedding-*', maxContextTokens: 2, maxOutputTokens: 1 }]);
    const body = JSON.stringify({ model: 'text-embedding-3-small', input: ['hello world', 'hello world'] });
    const batch = await post(url, '/v1/embeddings', body);
    expect(batch.status).toBe(200);
    expect(batch.headers.get(LIMIT_HEADER)).toBeNull();
    expect(received().body.toString('utf8')).toBe(body);
    const long = await post(url, '/v1/embeddings', {
      model: 'text-embedding-3-small',
      input: ['你好，世界'],
    });
    expect(await openAIError(long, 'context_too_long')).toMatch(/^The input is 6 tokens .* Send less input/);
  });
});

describe('limitsPolicy: which rule applies', () => {
  const rules = [
    { match: 'gpt-4o', project: 'beta', maxInputTokens: 1 },
    { match: 'gpt-4o', maxOutputTokens: 10 },
  ];

  it('applies a project-scoped rule to that project only; others fall through to the next rule', async () => {
    const url = await start(rules);
    const alpha = await chat(url, { model: 'gpt-4o', messages: MESSAGES });
    expect(alpha.status).toBe(200);
    expect(alpha.headers.get(LIMIT_HEADER)).toBe('output capped to 10');
    expect(received().json?.max_completion_tokens).toBe(10);
    upstream.reset();
    const beta = await chat(url, { model: 'gpt-4o', messages: MESSAGES }, BETA_KEY);
    expect(await openAIError(beta, 'input_too_long')).toContain('for gpt-4o in project "beta"');
    expect(upstream.requests).toHaveLength(0);
  });

  it('leaves a model no rule matches untouched, byte for byte', async () => {
    const url = await start([
      { match: 'gpt-4o', maxInputTokens: 1, maxOutputTokens: 1, maxContextTokens: 1 },
    ]);
    const body =
      '{"model":"gpt-4o-mini" ,\n "messages":[{"role":"user","content":"Grüße"}], "max_tokens":9999}';
    const res = await chat(url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get(LIMIT_HEADER)).toBeNull();
    expect(received().body.toString('utf8')).toBe(body);
  });

  it('matches globs against the model after aliases', async () => {
    const url = await start([{ match: 'gpt-4o-m*', maxOutputTokens: 7 }]);
    const res = await chat(url, { model: 'fast', messages: MESSAGES });
    expect(res.headers.get(LIMIT_HEADER)).toBe('output capped to 7');
    expect(received().json).toMatchObject({ model: 'gpt-4o-mini', max_completion_tokens: 7 });
  });
});

describe('limitsPolicy: Anthropic', () => {
  it('answers input_too_long in Anthropic’s error shape, counted with cl100k_base as an estimate', async () => {
    const url = await start([{ match: 'claude-*', maxInputTokens: 5 }]);
    const res = await post(url, '/v1/messages', {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'hello world',
      messages: [{ role: 'user', content: '你好，世界' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.any(String), code: 'input_too_long' },
    });
    expect(body.error.message).toContain('8 tokens (estimated with cl100k_base)');
    expect(upstream.requests).toHaveLength(0);
  });
});
