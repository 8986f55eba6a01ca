import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { estimator, startGateway, type TestGateway } from '../fixtures/harness.js';
import { budgetConfig, carbonOf, chat, PROJECT, statusCounts } from './fixtures/budgetCalls.js';
import { type MeteredUpstream, startMeteredUpstream } from './fixtures/meteredUpstream.js';
import { DEAD_REDIS_URL, dropPrefix, REDIS_URL, rawRedis, uniquePrefix } from './fixtures/redis.js';
import { budgetPolicy, budgetsFromConfig, RedisBudgetStore } from './index.js';

let upstream: MeteredUpstream;
let oneCall: number;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  upstream = await startMeteredUpstream();
  const baseline = await startGateway(budgetConfig(upstream.baseUrl, []));
  await (await chat(baseline.url, 100)).arrayBuffer();
  oneCall = carbonOf(baseline.sink.events);
  await baseline.close();
});

afterEach(async () => {
  upstream.reset();
  for (const step of cleanup.splice(0).reverse()) await step();
});

afterAll(async () => {
  await upstream.close();
});

/** A gateway whose budgets count in Redis under `url` and `prefix`, as a replica would. */
async function replica(budgets: unknown[], url: string, prefix: string, whenStoreFails?: 'admit' | 'refuse') {
  const config = budgetConfig(upstream.baseUrl, budgets);
  const warnings: string[] = [];
  const store = new RedisBudgetStore({ url, prefix });
  const policy = budgetPolicy(config.budgets as never, {
    store,
    estimator,
    onWarning: (m) => warnings.push(m),
    ...(whenStoreFails ? { whenStoreFails } : {}),
  });
  const gateway: TestGateway = await startGateway(config, {
    policies: [policy.policy],
    observers: [policy.observer],
  });
  cleanup.push(
    () => gateway.close(),
    () => store.close(),
  );
  return { gateway, policy, warnings };
}

describe('budgets shared through Redis', () => {
  it('keeps 200 concurrent calls split over two gateways within one call of the limit', async () => {
    const prefix = uniquePrefix();
    cleanup.push(() => dropPrefix(prefix));
    upstream.behaviour.delayMs = 50;
    const limit = 49.5 * oneCall;
    const budgets = [{ name: 'shared', project: PROJECT, period: 'day', gco2e: limit }];
    const a = await replica(budgets, REDIS_URL, prefix);
    const b = await replica(budgets, REDIS_URL, prefix);

    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => chat((i % 2 === 0 ? a : b).gateway.url, 100)),
    );
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    const counts = statusCounts(responses);
    expect((counts[200] ?? 0) + (counts[429] ?? 0)).toBe(200);
    // Both replicas served some of the admitted calls: the counter really is shared.
    expect(a.gateway.sink.events.length).toBeGreaterThan(0);
    expect(b.gateway.sink.events.length).toBeGreaterThan(0);
    const events = [...a.gateway.sink.events, ...b.gateway.sink.events];
    expect(events).toHaveLength(counts[200] ?? 0);
    const booked = carbonOf(events);
    expect(booked).toBeLessThanOrEqual(limit + oneCall);
    expect(booked).toBeGreaterThanOrEqual(limit - oneCall);

    const [usage] = await a.policy.usage(PROJECT);
    expect(usage?.used).toBeCloseTo(booked, 12);
    // The counter expires a grace hour after the day ends.
    const redis = rawRedis();
    const keys = await redis.keys(`${prefix}*`);
    const ttl = keys[0] ? await redis.ttl(keys[0]) : -2;
    redis.disconnect();
    expect(keys).toHaveLength(1);
    const toMidnight = ((usage?.window.resetsAt ?? 0) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(toMidnight);
    expect(ttl).toBeLessThanOrEqual(toMidnight + 3600 + 2);
  });

  it('admits unchecked, with one warning, while Redis is unreachable', async () => {
    const budgets = [{ name: 'tiny', project: PROJECT, period: 'hour', gco2e: 1e-9 }];
    const { gateway, warnings } = await replica(budgets, DEAD_REDIS_URL, uniquePrefix());
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      const response = await chat(gateway.url, 100);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(Date.now() - started).toBeLessThan(3000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Budget store failed .*127\.0\.0\.1:1.*admitting requests unchecked/);
    expect(gateway.sink.events).toHaveLength(3);
  });

  it('refuses with 503 while Redis is unreachable when told to', async () => {
    const budgets = [{ name: 'strict', project: PROJECT, period: 'hour', gco2e: 100 }];
    const { gateway, warnings } = await replica(budgets, DEAD_REDIS_URL, uniquePrefix(), 'refuse');
    const response = await chat(gateway.url, 100);
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as { error: { code: string } };
    expect(error.code).toBe('budget_unavailable');
    expect(upstream.received).toBe(0);
    expect(warnings[0]).toContain('refusing requests with 503');
  });

  it('counts in Redis when the config names it', async () => {
    const prefix = uniquePrefix();
    cleanup.push(() => dropPrefix(prefix));
    const config = {
      budgets: [{ name: 'cfg', project: PROJECT, period: 'week' as const, gco2e: 10 }],
      redis: { url: REDIS_URL, prefix },
    };
    const budgets = budgetsFromConfig(config, { estimator });
    cleanup.push(() => budgets.close());
    expect(budgets.store).toBeInstanceOf(RedisBudgetStore);
    const gateway = await startGateway(budgetConfig(upstream.baseUrl, config.budgets), {
      policies: [budgets.policy],
      observers: [budgets.observer],
    });
    cleanup.push(() => gateway.close());
    await (await chat(gateway.url, 100)).arrayBuffer();
    const [usage] = await budgets.usage();
    expect(usage?.used).toBeCloseTo(oneCall, 12);
    expect(await dropPrefix(prefix)).toBe(1);
  });
});
