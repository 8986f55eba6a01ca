import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { estimator, startGateway, type TestGateway, until } from '../fixtures/harness.js';
import { budgetConfig, carbonOf, chat, costOf, PROJECT, statusCounts } from './fixtures/budgetCalls.js';
import { type MeteredUpstream, startMeteredUpstream } from './fixtures/meteredUpstream.js';
import {
  BUDGET_HEADER,
  type BudgetPolicy,
  type BudgetStore,
  budgetPolicy,
  MemoryBudgetStore,
} from './index.js';

let upstream: MeteredUpstream;
let gateway: TestGateway | undefined;
/** gCO2e and USD of one call that uses 100 output tokens. */
let one: { gco2e: number; usd: number };

interface Started {
  gateway: TestGateway;
  budgets: BudgetPolicy;
  warnings: string[];
}

async function start(
  budgets: unknown[],
  now?: () => number,
  baseUrl = upstream.baseUrl,
  store: BudgetStore = new MemoryBudgetStore(now ? { now } : {}),
): Promise<Started> {
  const config = budgetConfig(baseUrl, budgets);
  const warnings: string[] = [];
  const policy = budgetPolicy(config.budgets as never, {
    store,
    estimator,
    onWarning: (m) => warnings.push(m),
    ...(now ? { now } : {}),
  });
  gateway = await startGateway(config, {
    policies: [policy.policy],
    observers: [policy.observer],
    ...(now ? { now } : {}),
  });
  return { gateway, budgets: policy, warnings };
}

async function used(budgets: BudgetPolicy, unit: 'gco2e' | 'usd' = 'gco2e'): Promise<number> {
  const all = await budgets.usage(PROJECT);
  return all.filter((u) => u.unit === unit).reduce((sum, u) => sum + u.used, 0);
}

beforeAll(async () => {
  upstream = await startMeteredUpstream();
  const baseline = await startGateway(budgetConfig(upstream.baseUrl, []));
  expect((await chat(baseline.url, 100)).status).toBe(200);
  one = { gco2e: carbonOf(baseline.sink.events), usd: costOf(baseline.sink.events) };
  await baseline.close();
  expect(one.gco2e).toBeGreaterThan(0);
  expect(one.usd).toBeGreaterThan(0);
});

afterEach(async () => {
  upstream.reset();
  await gateway?.close();
  gateway = undefined;
});

afterAll(async () => {
  await upstream.close();
});

describe('budgetPolicy', () => {
  it('admits sequential calls until the carbon budget is spent, then answers 429 without calling upstream', async () => {
    // Each call reserves 1000 output tokens but uses 100: only settling lets ten of them in.
    upstream.behaviour.completionTokens = 100;
    const limit = 9.5 * one.gco2e;
    const { gateway, budgets } = await start([
      { name: 'daily-carbon', project: PROJECT, period: 'day', gco2e: limit },
    ]);
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const response = await chat(gateway.url, 1000);
      statuses.push(response.status);
      if (response.status === 429) refused = response;
      else await response.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(429);

    const calledUpstream = upstream.received;
    const body = (await refused?.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded', param: null });
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(body.error.message).toContain('"daily-carbon"');
    expect(body.error.message).toContain(midnight.toISOString());
    expect(refused?.headers.get(BUDGET_HEADER)).toBe('daily-carbon');
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(Math.abs(retryAfter - (midnight.getTime() - Date.now()) / 1000)).toBeLessThan(5);

    expect((await chat(gateway.url, 1000)).status).toBe(429);
    expect(upstream.received).toBe(calledUpstream);
    const booked = carbonOf(gateway.sink.events);
    expect(booked).toBeGreaterThanOrEqual(limit);
    expect(booked).toBeLessThanOrEqual(limit + one.gco2e);
    expect(await used(budgets)).toBeCloseTo(booked, 12);
  });

  it('keeps 200 concurrent calls within one call of the limit', async () => {
    upstream.behaviour.delayMs = 50;
    const limit = 49.5 * one.gco2e;
    const { gateway, budgets } = await start([
      { name: 'burst', project: PROJECT, period: 'hour', gco2e: limit },
    ]);
    const responses = await Promise.all(Array.from({ length: 200 }, () => chat(gateway.url, 100)));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    const counts = statusCounts(responses);
    expect((counts[200] ?? 0) + (counts[429] ?? 0)).toBe(200);
    expect(counts[200]).toBeGreaterThanOrEqual(49);
    expect(counts[200]).toBeLessThanOrEqual(51);
    expect(gateway.sink.events).toHaveLength(counts[200] ?? 0);
    const booked = carbonOf(gateway.sink.events);
    expect(booked).toBeLessThanOrEqual(limit + one.gco2e);
    expect(booked).toBeGreaterThanOrEqual(limit - one.gco2e);
    expect(await until(() => upstream.received === counts[200])).toBe(true);
    expect(await used(budgets)).toBeCloseTo(booked, 12);
  });

  it('settles a streamed call at its end, to what it used', async () => {
    upstream.behaviour.completionTokens = 100;
    const { gateway, budgets } = await start([
      { name: 'stream', project: PROJECT, period: 'day', gco2e: 1.5 * one.gco2e },
    ]);
    const first = await chat(gateway.url, 1000, true);
    expect(first.headers.get('content-type')).toMatch(/event-stream/);
    const text = await first.text();
    expect(text).toContain('[DONE]');
    expect(await used(budgets)).toBeCloseTo(one.gco2e, 12);
    await (await chat(gateway.url, 1000, true)).text();
    const refused = await chat(gateway.url, 1000, true);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
    expect(carbonOf(gateway.sink.events)).toBeCloseTo(2 * one.gco2e, 12);
  });

  it('releases the reservation of an error, an unmetered answer and an unreachable upstream', async () => {
    const { gateway, budgets } = await start([{ name: 'daily', project: PROJECT, period: 'day', gco2e: 1 }]);
    upstream.behaviour.status = 500;
    const failed = await chat(gateway.url, 1000);
    expect(failed.status).toBe(500);
    await failed.arrayBuffer();
    expect(await used(budgets)).toBe(0);

    upstream.behaviour.status = 200;
    upstream.behaviour.usage = false;
    await (await chat(gateway.url, 1000)).arrayBuffer();
    await (await chat(gateway.url, 1000, true)).text();
    expect(await settles(() => used(budgets), 0)).toBe(0);
    expect(gateway.sink.events).toHaveLength(0);
    await gateway.close();

    const { gateway: down, budgets: downBudgets } = await start(
      [{ name: 'daily', project: PROJECT, period: 'day', gco2e: 1 }],
      undefined,
      `http://127.0.0.1:${await freePort()}/v1`,
    );
    expect((await chat(down.url, 1000)).status).toBe(502);
    expect(await used(downBudgets)).toBe(0);
  });

  it('enforces a USD budget', async () => {
    const limit = 9.5 * one.usd;
    const { gateway } = await start([{ name: 'spend', project: PROJECT, period: 'month', usd: limit }]);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await chat(gateway.url, 100);
      statuses.push(response.status);
      if (response.status === 429) {
        const { error } = (await response.json()) as { error: { message: string } };
        expect(error.message).toContain('"spend"');
        expect(error.message).toContain('USD');
        break;
      }
      await response.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    const spent = costOf(gateway.sink.events);
    expect(spent).toBeGreaterThanOrEqual(limit);
    expect(spent).toBeLessThanOrEqual(limit + one.usd);
  });

  it('reserves in every budget of the project, or in none', async () => {
    const { gateway, budgets } = await start([
      { name: 'carbon', project: PROJECT, period: 'week', gco2e: 100 * one.gco2e },
      { name: 'cost', project: PROJECT, period: 'hour', usd: 1.5 * one.usd },
      { name: 'other-project', project: 'beta', period: 'hour', gco2e: 1e-12 },
    ]);
    expect((await chat(gateway.url, 100)).status).toBe(200);
    expect((await chat(gateway.url, 100)).status).toBe(200);
    const refused = await chat(gateway.url, 100);
    expect(refused.status).toBe(429);
    expect(refused.headers.get(BUDGET_HEADER)).toBe('cost');
    // The carbon budget admitted the third call, but gave its reservation back when cost refused.
    expect(await used(budgets, 'gco2e')).toBeCloseTo(2 * one.gco2e, 12);
  });

  it('admits again once the period rolls over', async () => {
    let clock = Date.parse('2025-01-31T23:59:00Z');
    const now = () => clock;
    const { gateway } = await start(
      [{ name: 'monthly', project: PROJECT, period: 'month', gco2e: 2.5 * one.gco2e }],
      now,
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(gateway.url, 100)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await chat(gateway.url, 100);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      '2025-02-01T00:00:00.000Z',
    );
    clock = Date.parse('2025-02-01T00:00:00Z');
    expect((await chat(gateway.url, 100)).status).toBe(200);
  });

  it('admits unchecked while the store fails, warning when it goes and when it is back', async () => {
    const memory = new MemoryBudgetStore();
    let down = false;
    const flaky: BudgetStore = {
      reserve: (...args) => (down ? Promise.reject(new Error('store offline')) : memory.reserve(...args)),
      settle: (...args) => (down ? Promise.reject(new Error('store offline')) : memory.settle(...args)),
      used: (key) => memory.used(key),
      close: () => memory.close(),
    };
    const limit = 1.5 * one.gco2e;
    const { gateway, warnings } = await start(
      [{ name: 'flaky', project: PROJECT, period: 'day', gco2e: limit }],
      undefined,
      upstream.baseUrl,
      flaky,
    );
    down = true;
    const unchecked = [];
    for (let i = 0; i < 3; i++) unchecked.push((await chat(gateway.url, 100)).status);
    expect(unchecked).toEqual([200, 200, 200]);
    expect(warnings).toEqual([expect.stringContaining('store offline')]);
    down = false;
    const checked = [];
    for (let i = 0; i < 3; i++) checked.push((await chat(gateway.url, 100)).status);
    expect(checked).toEqual([200, 200, 429]);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('answers again');
  });

  it('warns once and reserves nothing for a model the estimator cannot price', async () => {
    const { gateway, warnings } = await start([{ name: 'd', project: PROJECT, period: 'day', gco2e: 1 }]);
    const body = { model: 'no-such-model-xyz', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer gp_test_key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no-such-model-xyz');
  });
});

/** Polls `read` every 10 ms until it answers `expected` or 2 s pass; answers the last value. */
async function settles(read: () => Promise<number>, expected: number): Promise<number> {
  const end = Date.now() + 2000;
  let value = await read();
  while (value !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    value = await read();
  }
  return value;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
