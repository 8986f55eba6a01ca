import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CacheStore, StoredAnswer } from './cacheStore.js';
import { DOWN_REDIS_URL, TEST_REDIS_URL, testRedis } from './fixtures/testRedis.js';
import { MemoryCacheStore } from './memoryCacheStore.js';
import { RedisCacheStore } from './redisCacheStore.js';

const redis = testRedis();
const open: CacheStore[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await redis.cleanUp();
});

function answer(text: string): StoredAnswer {
  return {
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['x-request-id', 'req_1'],
    ],
    body: Buffer.from(JSON.stringify({ text })).toString('base64'),
    storedAt: 1_700_000_000_000,
  };
}

const STORES: [string, () => CacheStore][] = [
  ['memory', () => new MemoryCacheStore(100)],
  ['redis', () => new RedisCacheStore({ url: TEST_REDIS_URL, prefix: redis.prefix() })],
];

describe.each(STORES)('%s CacheStore', (_name, create) => {
  it('answers what was set, and undefined for a key never set', async () => {
    const store = create();
    open.push(store);
    await store.set('k1', answer('one'), 60);
    await store.set('k2', answer('two'), 60);
    expect(await store.get('k1')).toEqual(answer('one'));
    expect(await store.get('k2')).toEqual(answer('two'));
    expect(await store.get('k3')).toBeUndefined();
    await store.set('k1', answer('uno'), 60);
    expect(await store.get('k1')).toEqual(answer('uno'));
  });
});

describe('MemoryCacheStore', () => {
  it('forgets an entry once its TTL has passed', async () => {
    let now = 1_000_000;
    const store = new MemoryCacheStore(10, { now: () => now });
    await store.set('k', answer('one'), 2);
    now += 1999;
    expect(await store.get('k')).toEqual(answer('one'));
    now += 1;
    expect(await store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = new MemoryCacheStore(2);
    await store.set('a', answer('a'), 60);
    await store.set('b', answer('b'), 60);
    expect(await store.get('a')).toBeDefined(); // a is now the most recent
    await store.set('c', answer('c'), 60);
    expect(store.size).toBe(2);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toEqual(answer('a'));
    expect(await store.get('c')).toEqual(answer('c'));
  });

  it('refuses a size below one', () => {
    expect(() => new MemoryCacheStore(0)).toThrow(/maxEntries/);
  });
});

describe('RedisCacheStore', () => {
  it('stores under <prefix>cache:<key> with the TTL as an expiry', async () => {
    const prefix = redis.prefix();
    const store = new RedisCacheStore({ url: TEST_REDIS_URL, prefix });
    open.push(store);
    await store.set('k', answer('one'), 5);
    const ttlMs = await redis.client.pttl(`${prefix}cache:k`);
    expect(ttlMs).toBeGreaterThan(4000);
    expect(ttlMs).toBeLessThanOrEqual(5000);
    expect(JSON.parse((await redis.client.get(`${prefix}cache:k`)) ?? 'null')).toEqual(answer('one'));
  });

  it('treats a damaged entry as a miss', async () => {
    const prefix = redis.prefix();
    const store = new RedisCacheStore({ url: TEST_REDIS_URL, prefix });
    open.push(store);
    await redis.client.set(`${prefix}cache:bad`, '{"status":"nope"', 'EX', 60);
    await redis.client.set(`${prefix}cache:odd`, JSON.stringify({ status: 200 }), 'EX', 60);
    expect(await store.get('bad')).toBeUndefined();
    expect(await store.get('odd')).toBeUndefined();
  });

  it('with Redis down, misses at once, drops writes and reports the outage once, without the password', async () => {
    const errors: Error[] = [];
    const store = new RedisCacheStore({
      url: DOWN_REDIS_URL.replace('//', '//user:s3cret@'),
      prefix: 'unused:',
      onError: (error) => errors.push(error),
    });
    open.push(store);
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      expect(await store.get('k')).toBeUndefined();
      await store.set('k', answer('one'), 60);
    }
    expect(Date.now() - started).toBeLessThan(1000);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('127.0.0.1:1');
    expect(errors[0]?.message).not.toContain('s3cret');
  });
});
