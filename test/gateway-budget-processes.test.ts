import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createEstimator } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { periodWindow } from '../src/gateway/budgets/index.js';

// Issue #4: budgets reserve before the call and settle after, so 200 concurrent requests overshoot by
// at most one request — here with two gateway processes sharing one Redis.
const ROOT = new URL('..', import.meta.url).pathname;
const USAGE = { prompt_tokens: 120, completion_tokens: 30 };

function startGatewayProcess(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/budget-gateway.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}

describe('budgets across two gateway processes on one Redis', () => {
  it('200 concurrent requests overshoot the shared budget by at most one request', {
    timeout: 60_000,
  }, async () => {
    const upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              id: 'x',
              object: 'chat.completion',
              model: 'gpt-4o-mini',
              choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
              usage: { ...USAGE, total_tokens: 150 },
            }),
          );
        }, 50),
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
    // One call's settled carbon, from the same estimator the gateways use.
    const estimator = createEstimator(loadReferenceData());
    const one = estimator.estimate({
      requestModel: 'gpt-4o-mini',
      provider: 'openai',
      region: 'FR',
      inputTokens: USAGE.prompt_tokens,
      outputTokens: USAGE.completion_tokens,
    }).carbonGCO2e.location.mid;
    const limit = one * 50;
    const prefix = `greenprint-test:${process.pid}:${Date.now()}:`;
    const env = { GP_UPSTREAM: upstreamUrl, GP_REDIS_PREFIX: prefix, GP_BUDGET_G: String(limit) };
    const gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const port = (gateways[i % 2] as { port: number }).port;
          const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            // About 120 prompt tokens, as the upstream reports: a reservation covers its call's actual.
            body: JSON.stringify({
              model: 'gpt-4o-mini',
              max_tokens: 30,
              messages: [{ role: 'user', content: `q${i} ${'word '.repeat(112)}` }],
            }),
          });
          await res.text();
          return res.status;
        }),
      );
      const admitted = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      // Settlement runs after each answer; give the last ones a moment.
      await new Promise((r) => setTimeout(r, 500));
      const key = `${prefix}budget:default:shared:gco2e:${periodWindow('day', Date.now()).key}`;
      const used = Number(await redis.get(key));
      expect(used).toBeLessThanOrEqual(limit + one * 1.001);
      expect(used).toBeGreaterThanOrEqual(limit - one * 1.001);
      expect(admitted).toBeGreaterThanOrEqual(49);
      expect(admitted).toBeLessThanOrEqual(51);
    } finally {
      for (const g of gateways) g.child.kill('SIGTERM');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      upstream.close();
    }
  });
});
