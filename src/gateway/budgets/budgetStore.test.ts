import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, REDIS_URL, rawRedis, uniquePrefix } from './fixtures/redis.js';
import { type BudgetStore, MemoryBudgetStore, RedisBudgetStore } from './index.js';

const prefix = uniquePrefix();
let clock = Date.now();

const STORES: { name: string; open(): BudgetStore }[] = [
  { name: 'memory', open: () => new MemoryBudgetStore({ now: () => clock }) },
  { name: 'redis', open: () => new RedisBudgetStore({ url: REDIS_URL, prefix }) },
];

afterAll(async () => {
  await dropPrefix(prefix);
});

let n = 0;
const freshKey = () => `budget:test:${n++}`;

describe.each(STORES)('$name budget store', ({ name, open }) => {
  const store = open();
  afterAll(() => store.close());

  it('admits while the counter is below the limit, then adds the whole amount', async () => {
    const key = freshKey();
    expect(await store.reserve(key, 5, 8, 60)).toEqual({ ok: true, used: 5 });
    // 5 < 8: admitted, and the counter passes the limit by less than this one reservation.
    expect(await store.reserve(key, 5, 8, 60)).toEqual({ ok: true, used: 10 });
    expect(await store.reserve(key, 0.1, 8, 60)).toEqual({ ok: false, used: 10 });
    expect(await store.used(key)).toBe(10);
  });

  it('refuses at exactly the limit', async () => {
    const key = freshKey();
    await store.reserve(key, 2.5, 2.5, 60);
    expect(await store.reserve(key, 0.001, 2.5, 60)).toEqual({ ok: false, used: 2.5 });
  });

  it('settles by actual minus reserved, in fractions', async () => {
    const key = freshKey();
    await store.reserve(key, 0.75, 10, 60);
    await store.settle(key, 0.125 - 0.75);
    expect(await store.used(key)).toBeCloseTo(0.125, 12);
    await store.settle(key, -0.125);
    expect(await store.used(key)).toBeCloseTo(0, 12);
  });

  it('leaves a counter that does not exist alone when settling', async () => {
    const key = freshKey();
    await store.settle(key, 3);
    expect(await store.used(key)).toBe(0);
    if (name === 'redis') {
      const redis = rawRedis();
      expect(await redis.exists(prefix + key)).toBe(0);
      redis.disconnect();
    }
  });

  it('admits exactly up to the limit under 200 concurrent reservations', async () => {
    const key = freshKey();
    const answers = await Promise.all(Array.from({ length: 200 }, () => store.reserve(key, 1, 50, 60)));
    expect(answers.filter((a) => a.ok)).toHaveLength(50);
    expect(await store.used(key)).toBe(50);
  });

  it('expires a counter after its time to live', async () => {
    const key = freshKey();
    await store.reserve(key, 1, 10, 120);
    if (name === 'redis') {
      const redis = rawRedis();
      const ttl = await redis.ttl(prefix + key);
      redis.disconnect();
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    } else {
      clock += 119_000;
      expect(await store.used(key)).toBe(1);
      clock += 1_000;
      expect(await store.used(key)).toBe(0);
      expect(await store.reserve(key, 1, 1, 120)).toEqual({ ok: true, used: 1 });
    }
  });
});
