import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import { CLIENT_KEY, startGateway, type TestGateway, UPSTREAM_ENV, until } from '../fixtures/harness.js';
import type { GatewayPolicy } from '../policy.js';
import { outcomeSpy, tryCounter } from './fixtures/policySpies.js';
import {
  chatAnswer,
  errorAnswer,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './fixtures/scriptedUpstream.js';
import {
  type FallbackPolicyOptions,
  fallbackPolicy,
  routePoliciesSchema,
  upstreamResolver,
} from './index.js';

let upstream: ScriptedUpstream;
let deadUrl: string;
let gateway: TestGateway | undefined;

const AUTH = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  deadUrl = `http://127.0.0.1:${await freePort()}/v1`;
});

afterEach(async () => {
  upstream.reset();
  await gateway?.close();
  gateway = undefined;
});

afterAll(async () => {
  await upstream.close();
});

function rawConfig() {
  return {
    upstreams: [
      {
        name: 'primary',
        baseUrl: `${upstream.url}/primary/v1`,
        apiKeyEnv: 'GP_TEST_OPENAI_KEY',
        provider: 'openai',
        region: 'us-east-1',
        models: ['gpt-4o', 'gpt-4o-mini', 'other-model'],
      },
      {
        name: 'backup',
        baseUrl: `${upstream.url}/backup/v1`,
        apiKeyEnv: 'GP_TEST_EMBEDDINGS_KEY',
        provider: 'openai',
        region: 'us-east-1',
        models: ['gpt-4.1-mini'],
      },
      { name: 'dead', baseUrl: deadUrl, provider: 'openai', models: ['dead-model'] },
      {
        name: 'keyless',
        baseUrl: `${upstream.url}/keyless/v1`,
        apiKeyEnv: 'GP_TEST_UNSET_KEY',
        provider: 'openai',
        models: ['keyless-model'],
      },
    ],
    aliases: { fast: 'gpt-4o-mini' },
  };
}

/** A gateway with [spy, fallbackPolicy(routes), counter]: the spy sees the answer, the counter each try. */
async function start(routes: unknown, options: Partial<FallbackPolicyOptions> = {}) {
  const raw = rawConfig();
  const spy = outcomeSpy();
  const counter = tryCounter();
  const fallback = fallbackPolicy(routePoliciesSchema.parse(routes), {
    resolveUpstream: upstreamResolver(parseGatewayConfig(raw)),
    ...options,
  });
  const policies: GatewayPolicy[] = [spy.policy, fallback, counter.policy];
  gateway = await startGateway(raw, { policies });
  return { gateway, outcomes: spy.outcomes, tries: counter.models };
}

function chat(url: string, body: Record<string, unknown> | string, signal?: AbortSignal) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: AUTH,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

const HI = [{ role: 'user', content: 'Hi' }];

describe('fallbackPolicy: retries', () => {
  it('retries a 503 on the same model after the Retry-After asked for, then answers', async () => {
    const { gateway, outcomes } = await start([
      // A backoff of 1 ms would retry at once: only Retry-After can space the tries 200 ms apart.
      { match: 'gpt-4o', retries: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5000 } },
    ]);
    upstream.script = (request, index) =>
      index < 2 ? errorAnswer(503, { 'retry-after': '0.2' }) : chatAnswer(request.model ?? '', 'Third time.');

    const res = await chat(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe('Third time.');

    expect(upstream.requests.map((r) => `${r.path} ${r.model}`)).toEqual(
      Array(3).fill('/primary/v1/chat/completions gpt-4o'),
    );
    const [first, second, third] = upstream.requests.map((r) => r.at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(190);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(190);
    expect(outcomes[0]?.headers?.get('x-greenprint-route')).toBe('gpt-4o');
    expect(outcomes[0]?.headers?.get('x-greenprint-attempts')).toBe('3');
    expect(gateway.sink.events).toHaveLength(1);
  });

  it('waits a jittered exponential backoff, or Retry-After (seconds or date) capped at maxDelayMs', async () => {
    const delays: number[] = [];
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const { gateway } = await start(
      [{ match: 'gpt-4o', retries: { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 } }],
      {
        sleep: async (ms) => void delays.push(ms),
        now: () => Date.parse(date) - 1500,
        random: () => 0.5,
      },
    );
    const replies = [
      errorAnswer(500),
      errorAnswer(502),
      errorAnswer(429, { 'retry-after': date }),
      errorAnswer(429, { 'retry-after': '0.3' }),
    ];
    upstream.script = (request, index) => replies[index] ?? chatAnswer(request.model ?? '', 'OK');

    const res = await chat(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(res.status).toBe(200);
    // Backoff 100·2^retry with equal jitter at 0.5 → 75 %; the date is 1.5 s ahead, capped at 1 s.
    expect(delays).toEqual([75, 150, 1000, 300]);
  });

  it('does not retry a 400: it goes back to the client at once', async () => {
    const { gateway, outcomes, tries } = await start([{ match: '*', fallbacks: ['gpt-4.1-mini'] }]);
    upstream.script = () => errorAnswer(400);
    const res = await chat(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(res.status).toBe(400);
    expect(tries).toEqual(['gpt-4o']);
    expect(upstream.requests).toHaveLength(1);
    expect(outcomes[0]?.headers?.get('x-greenprint-attempts')).toBe('1');
  });

  it("does not retry the gateway's own failures, such as a missing upstream key", async () => {
    const { gateway, tries } = await start([{ match: '*', fallbacks: ['gpt-4.1-mini'] }]);
    const res = await chat(gateway.url, { model: 'keyless-model', messages: HI });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_key_missing');
    expect(tries).toEqual(['keyless-model']);
    expect(upstream.requests).toHaveLength(0);
  });

  it('leaves calls that match no route alone', async () => {
    const { gateway, outcomes } = await start([{ match: 'gpt-4o*', fallbacks: ['gpt-4.1-mini'] }]);
    upstream.script = () => errorAnswer(503);
    const res = await chat(gateway.url, { model: 'other-model', messages: HI });
    expect(res.status).toBe(503);
    expect(upstream.requests).toHaveLength(1);
    expect(outcomes[0]?.headers?.get('x-greenprint-route')).toBeNull();
  });
});

describe('fallbackPolicy: fallbacks', () => {
  it('moves to the fallback on its own upstream once the first model keeps failing, changing only the model', async () => {
    const { gateway, outcomes } = await start([
      { match: 'gpt-4o', fallbacks: ['gpt-4.1-mini'], retries: { attempts: 2, baseDelayMs: 1 } },
    ]);
    upstream.script = (request) =>
      request.model === 'gpt-4.1-mini' ? chatAnswer('gpt-4.1-mini', 'From the backup.') : errorAnswer(503);
    const body =
      '{ "messages":[{"role":"user","content":"Grüße 🌍"}],\n  "model" : "gpt-4o", "metadata": {"model": "keep"}, "x_extra": 1 }';

    const res = await chat(gateway.url, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe('From the backup.');

    expect(upstream.requests.map((r) => `${r.path} ${r.model}`)).toEqual([
      '/primary/v1/chat/completions gpt-4o',
      '/primary/v1/chat/completions gpt-4o',
      '/backup/v1/chat/completions gpt-4.1-mini',
    ]);
    const sent = upstream.requests[2];
    expect(sent?.body.toString('utf8')).toBe(body.replace('"model" : "gpt-4o"', '"model" : "gpt-4.1-mini"'));
    expect(sent?.headers.authorization).toBe(`Bearer ${UPSTREAM_ENV.GP_TEST_EMBEDDINGS_KEY}`);
    expect(outcomes[0]?.headers?.get('x-greenprint-route')).toBe('gpt-4.1-mini');
    expect(outcomes[0]?.headers?.get('x-greenprint-attempts')).toBe('3');
    // Metered for the model and upstream that answered.
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject({
      requestModel: 'gpt-4.1-mini',
      tags: { upstream: 'backup' },
    });
  });

  it('matches a route by the alias target too', async () => {
    const { gateway } = await start([
      { match: 'gpt-4o-mini', fallbacks: ['gpt-4.1-mini'], retries: { attempts: 1 } },
    ]);
    upstream.script = (request) =>
      request.model === 'gpt-4.1-mini' ? chatAnswer('gpt-4.1-mini', 'OK') : errorAnswer(429);
    const res = await chat(gateway.url, { model: 'fast', messages: HI });
    expect(res.status).toBe(200);
    expect(upstream.requests.map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4.1-mini']);
  });

  it('rethrows the last error when the last fallback cannot be reached, after retrying it', async () => {
    const { gateway, tries } = await start([
      { match: 'gpt-4o', fallbacks: ['dead-model'], retries: { attempts: 2, baseDelayMs: 1 } },
    ]);
    upstream.script = () => errorAnswer(500);
    const res = await chat(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
    expect(tries).toEqual(['gpt-4o', 'gpt-4o', 'dead-model', 'dead-model']);
    expect(upstream.requests).toHaveLength(2);
  });

  it('returns the last failing response when every model answers with an error', async () => {
    const { gateway, outcomes } = await start([
      { match: 'gpt-4o', fallbacks: ['gpt-4.1-mini'], retries: { attempts: 1 } },
    ]);
    upstream.script = (request) => errorAnswer(request.model === 'gpt-4.1-mini' ? 504 : 503);
    const res = await chat(gateway.url, { model: 'gpt-4o', messages: HI });
    expect(res.status).toBe(504);
    expect(res.headers.get('x-greenprint-upstream-status')).toBe('504');
    expect(outcomes[0]?.headers?.get('x-greenprint-route')).toBe('gpt-4.1-mini');
    expect(outcomes[0]?.headers?.get('x-greenprint-attempts')).toBe('2');
  });
});

describe('fallbackPolicy: a client that goes away', () => {
  it('is not retried for when it aborts while the upstream is still thinking', async () => {
    const { gateway, outcomes, tries } = await start([
      { match: 'gpt-4o', fallbacks: ['gpt-4.1-mini'], retries: { attempts: 3, baseDelayMs: 1 } },
    ]);
    upstream.script = () => ({ hang: true });
    const controller = new AbortController();
    const pending = chat(gateway.url, { model: 'gpt-4o', messages: HI }, controller.signal).catch((e) => e);
    expect(await until(() => upstream.requests.length === 1)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await until(() => outcomes.length === 1)).toBe(true);
    expect(tries).toEqual(['gpt-4o']);
    expect((outcomes[0]?.error as { code?: string }).code).toBe('client_closed_request');
  });

  it('stops waiting and does not retry when it aborts during the backoff', async () => {
    const { gateway, outcomes, tries } = await start([
      { match: 'gpt-4o', fallbacks: ['gpt-4.1-mini'], retries: { attempts: 3, baseDelayMs: 1 } },
    ]);
    upstream.script = () => errorAnswer(503, { 'retry-after': '3' });
    const controller = new AbortController();
    const pending = chat(gateway.url, { model: 'gpt-4o', messages: HI }, controller.signal).catch((e) => e);
    expect(await until(() => upstream.requests.length === 1)).toBe(true);
    const abortedAt = Date.now();
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await until(() => outcomes.length === 1)).toBe(true);
    expect((outcomes[0]?.settledAt ?? Number.POSITIVE_INFINITY) - abortedAt).toBeLessThan(1000);
    expect(tries).toEqual(['gpt-4o']);
    expect(upstream.requests).toHaveLength(1);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
