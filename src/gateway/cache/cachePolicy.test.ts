import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../core/index.js';
import { hashApiKey } from '../authenticate.js';
import {
  CLIENT_KEY,
  CLIENT_KEY_HASH,
  estimator,
  startGateway,
  type TestGateway,
  until,
} from '../fixtures/harness.js';
import {
  chatAnswer,
  errorAnswer,
  SCRIPTED_COMPLETION_TOKENS,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../policies/fixtures/scriptedUpstream.js';
import type { CacheStore } from './cacheStore.js';
import { DOWN_REDIS_URL, TEST_REDIS_URL, testRedis } from './fixtures/testRedis.js';
import { cachePolicy, MemoryCacheStore, RedisCacheStore } from './index.js';

const OTHER_KEY = 'gp_test_key_beta';
const MODEL = 'gpt-4o-mini';
const MESSAGES = [{ role: 'user', content: 'What is the capital of France?' }];
const DETERMINISTIC = { model: MODEL, messages: MESSAGES, temperature: 0 };

const redis = testRedis();
let upstream: ScriptedUpstream;
const gateways: TestGateway[] = [];
const stores: CacheStore[] = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream();
});

beforeEach(() => {
  // Each answer differs, so a response that came from the upstream again cannot pass for a cached one.
  upstream.script = (request, index) => chatAnswer(request.model ?? '', `Paris (answer ${index}).`);
});

afterEach(async () => {
  upstream.reset();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await upstream.close();
  await redis.cleanUp();
});

/** A gateway whose only policy is `cachePolicy(store)`, with two keys: CLIENT_KEY (alpha), OTHER_KEY (beta). */
async function start(store: CacheStore, ttlSeconds = 60): Promise<TestGateway> {
  stores.push(store);
  const gateway = await startGateway(
    {
      upstreams: [{ name: 'open', baseUrl: `${upstream.url}/v1`, provider: 'openai', region: 'us-east-1' }],
      keys: [
        { id: 'alpha-key', sha256: CLIENT_KEY_HASH, project: 'alpha' },
        { id: 'beta-key', sha256: hashApiKey(OTHER_KEY), project: 'beta' },
      ],
    },
    { policies: [cachePolicy(store, { ttlSeconds })] },
  );
  gateways.push(gateway);
  return gateway;
}

async function post(
  gateway: TestGateway,
  body: Record<string, unknown>,
  options: { key?: string; headers?: Record<string, string>; path?: string } = {},
) {
  const res = await fetch(`${gateway.url}${options.path ?? '/v1/chat/completions'}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.key ?? CLIENT_KEY}`,
      'content-type': 'application/json',
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    cache: res.headers.get('x-greenprint-cache'),
    headers: res.headers,
    text: await res.text(),
  };
}

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

const STORES: [string, () => CacheStore][] = [
  ['memory', () => new MemoryCacheStore(100)],
  ['redis', () => new RedisCacheStore({ url: TEST_REDIS_URL, prefix: redis.prefix() })],
];

describe.each(STORES)('cachePolicy over the %s store', (_name, createStore) => {
  it('answers an identical deterministic request from the cache, metered as avoided energy', async () => {
    const gateway = await start(createStore());
    const first = await post(gateway, DETERMINISTIC);
    // Same request, keys in another order and another `user`: the same answer.
    const second = await post(gateway, { temperature: 0, user: 'u-2', messages: MESSAGES, model: MODEL });

    expect(upstream.requests).toHaveLength(1);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.text).toBe(first.text);
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.headers.get('x-greenprint-cache-key')).toMatch(/^[0-9a-f]{16}$/);
    expect(second.headers.get('x-greenprint-cache-key')).toBe(first.headers.get('x-greenprint-cache-key'));
    expect(second.headers.get('content-type')).toMatch(/application\/json/);

    expect(await until(() => gateway.sink.events.length === 2)).toBe(true);
    const [metered, hit] = gateway.sink.events as [UsageEvent, UsageEvent];
    expect(metered.inputTokens).toBe(MODEL.length);
    expect(metered.outputTokens).toBe(SCRIPTED_COMPLETION_TOKENS);
    expect(metered.measuredEnergy).toBeUndefined();
    expect(metered.tags?.cache).toBeUndefined();
    const spent = estimator.estimate(metered);
    expect(spent.energyWh.mid).toBeGreaterThan(0);

    expect(hit.tags?.cache).toBe('hit');
    expect(hit.measuredEnergy).toEqual({ wh: 0, boundary: 'facility' });
    expect(hit.inputTokens).toBeUndefined();
    expect(hit.outputTokens).toBeUndefined();
    expect(hit.project).toBe('alpha');
    expect(estimator.estimate(hit).energyWh.mid).toBe(0);
    expect(relativeError(Number(hit.tags?.avoidedEnergyWh), spent.energyWh.mid)).toBeLessThan(1e-9);
    expect(relativeError(Number(hit.tags?.avoidedCo2eG), spent.carbonGCO2e.location.mid)).toBeLessThan(1e-9);
    expect(relativeError(Number(hit.tags?.avoidedCostUsd), spent.costUsd?.mid ?? Number.NaN)).toBeLessThan(
      1e-9,
    );
  });

  it('never caches a sampled request (temperature 0.7, or absent)', async () => {
    const gateway = await start(createStore());
    const sampled = { model: MODEL, messages: MESSAGES, temperature: 0.7 };
    const answers = [await post(gateway, sampled), await post(gateway, sampled)];
    const unset = { model: MODEL, messages: MESSAGES };
    answers.push(await post(gateway, unset), await post(gateway, unset));

    expect(upstream.requests).toHaveLength(4);
    expect(answers.map((a) => a.cache)).toEqual([null, null, null, null]);
    expect(new Set(answers.map((a) => a.text)).size).toBe(4);
    expect(gateway.sink.events.map((e) => e.tags?.cache)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('caches a seeded sampled request the client opts in to, and nothing the client opts out of', async () => {
    const gateway = await start(createStore());
    const seeded = { model: MODEL, messages: MESSAGES, temperature: 0.7, seed: 42 };
    const on = { headers: { 'x-greenprint-cache': 'on' } };
    const first = await post(gateway, seeded, on);
    const second = await post(gateway, seeded, on);
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.text).toBe(first.text);
    expect(upstream.requests).toHaveLength(1);

    // Opting in cannot make an unseeded sample repeatable.
    const unseeded = { model: MODEL, messages: MESSAGES, temperature: 0.7 };
    await post(gateway, unseeded, on);
    await post(gateway, unseeded, on);
    expect(upstream.requests).toHaveLength(3);

    const off = { headers: { 'x-greenprint-cache': 'off' } };
    const primed = await post(gateway, DETERMINISTIC);
    const skipped = await post(gateway, DETERMINISTIC, off);
    expect(primed.cache).toBe('miss');
    expect(skipped.cache).toBeNull();
    expect(skipped.text).not.toBe(primed.text);
    expect(upstream.requests).toHaveLength(5);
  });

  it('never serves one project the answer cached for another', async () => {
    const gateway = await start(createStore());
    const alpha = await post(gateway, DETERMINISTIC);
    const beta = await post(gateway, DETERMINISTIC, { key: OTHER_KEY });
    const alphaAgain = await post(gateway, DETERMINISTIC);
    const betaAgain = await post(gateway, DETERMINISTIC, { key: OTHER_KEY });

    expect([alpha.cache, beta.cache, alphaAgain.cache, betaAgain.cache]).toEqual([
      'miss',
      'miss',
      'hit',
      'hit',
    ]);
    expect(beta.text).not.toBe(alpha.text);
    expect(alphaAgain.text).toBe(alpha.text);
    expect(betaAgain.text).toBe(beta.text);
    expect(upstream.requests).toHaveLength(2);
    expect(gateway.sink.events.map((e) => `${e.project}:${e.tags?.cache ?? 'upstream'}`)).toEqual([
      'alpha:upstream',
      'beta:upstream',
      'alpha:hit',
      'beta:hit',
    ]);
  });

  it('goes back to the upstream once the TTL has passed', async () => {
    const gateway = await start(createStore(), 1);
    const first = await post(gateway, DETERMINISTIC);
    const fresh = await post(gateway, DETERMINISTIC);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await post(gateway, DETERMINISTIC);

    expect([first.cache, fresh.cache, expired.cache]).toEqual(['miss', 'hit', 'miss']);
    expect(expired.text).not.toBe(first.text);
    expect(upstream.requests).toHaveLength(2);
  });

  it('never caches an error, and caches the success that follows it', async () => {
    const gateway = await start(createStore());
    upstream.script = (request, index) =>
      index === 0 ? errorAnswer(500) : chatAnswer(request.model ?? '', `Paris (answer ${index}).`);
    const failed = await post(gateway, DETERMINISTIC);
    const succeeded = await post(gateway, DETERMINISTIC);
    const cached = await post(gateway, DETERMINISTIC);

    expect([failed.status, succeeded.status, cached.status]).toEqual([500, 200, 200]);
    expect([failed.cache, succeeded.cache, cached.cache]).toEqual(['miss', 'miss', 'hit']);
    expect(cached.text).toBe(succeeded.text);
    expect(upstream.requests).toHaveLength(2);
  });

  it('caches embeddings, which have no temperature, and leaves streams alone', async () => {
    const gateway = await start(createStore());
    upstream.script = (_request, index) => ({
      body: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [index, 0.5] }],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 8, total_tokens: 8 },
      },
    });
    const input = { model: 'text-embedding-3-small', input: 'Paris' };
    const first = await post(gateway, input, { path: '/v1/embeddings' });
    const second = await post(gateway, input, { path: '/v1/embeddings' });
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.text).toBe(first.text);
    expect(upstream.requests).toHaveLength(1);
    expect(gateway.sink.events[1]?.tags?.cache).toBe('hit');
    expect(Number(gateway.sink.events[1]?.tags?.avoidedEnergyWh)).toBeGreaterThan(0);

    // The scripted upstream answers JSON even to a stream: the policy must not look at it anyway.
    const streamed = await post(gateway, { ...DETERMINISTIC, stream: true });
    const streamedAgain = await post(gateway, { ...DETERMINISTIC, stream: true });
    expect([streamed.cache, streamedAgain.cache]).toEqual([null, null]);
    expect(upstream.requests).toHaveLength(3);
  });
});

describe('cachePolicy over Redis', () => {
  it('shares answers between gateway replicas on the same prefix', async () => {
    const prefix = redis.prefix();
    const one = await start(new RedisCacheStore({ url: TEST_REDIS_URL, prefix }));
    const two = await start(new RedisCacheStore({ url: TEST_REDIS_URL, prefix }));

    const first = await post(one, DETERMINISTIC);
    // The policy does not await the write: wait until it has landed rather than race it.
    const stored = () => redis.client.keys(`${prefix}cache:*`);
    expect(await poll(async () => (await stored()).length === 1)).toBe(true);
    const fromOther = await post(two, DETERMINISTIC);

    expect([first.cache, fromOther.cache]).toEqual(['miss', 'hit']);
    expect(fromOther.text).toBe(first.text);
    expect(upstream.requests).toHaveLength(1);
    expect(two.sink.events.map((e) => e.tags?.cache)).toEqual(['hit']);
    const [key] = await stored();
    expect(key?.slice(`${prefix}cache:`.length, `${prefix}cache:`.length + 16)).toBe(
      fromOther.headers.get('x-greenprint-cache-key'),
    );
    expect(await redis.client.ttl(key ?? '')).toBeGreaterThan(50);
  });

  it('with Redis down, still answers every request, as a miss, promptly, and reports the outage once', async () => {
    const errors: Error[] = [];
    const gateway = await start(
      new RedisCacheStore({ url: DOWN_REDIS_URL, prefix: 'unused:', onError: (e) => errors.push(e) }),
    );
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const answer = await post(gateway, DETERMINISTIC);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(answer.status).toBe(200);
      expect(answer.cache).toBe('miss');
    }
    expect(upstream.requests).toHaveLength(3);
    expect(gateway.sink.events).toHaveLength(3);
    expect(errors).toHaveLength(1);
  });
});

async function poll(check: () => Promise<boolean>, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
