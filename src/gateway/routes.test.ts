import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carbonOf } from './budgets/fixtures/budgetCalls.js';
import { budgetPolicy, MemoryBudgetStore } from './budgets/index.js';
import { CLIENT_KEY, estimator, startGateway } from './fixtures/harness.js';
import {
  chatAnswer,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './policies/fixtures/scriptedUpstream.js';

// `routes:` in greenprint.yaml switches the routing policies on inside createGateway: their headers
// reach the client, and every answer a cascade throws away is metered as its own event.
let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe('routes from the gateway config', () => {
  it('cascade path reaches the client and the discarded attempt is metered', async () => {
    const gateway = await startGateway({
      upstreams: [{ name: 'open', baseUrl: `${upstream.url}/v1`, provider: 'openai', region: 'us-east-1' }],
      routes: [{ match: 'auto', cascade: { models: ['gpt-4o-mini', 'gpt-4o'], escalateOn: ['refusal'] } }],
    });
    try {
      upstream.script = (request) =>
        request.model === 'gpt-4o-mini'
          ? chatAnswer('gpt-4o-mini', "I'm sorry, I can't help with that.")
          : chatAnswer(request.model ?? '', 'Paris is the capital of France.');
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Capital of France?' }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-greenprint-cascade')).toBe('gpt-4o-mini>gpt-4o');
      expect(res.headers.get('x-greenprint-route')).toBe('gpt-4o');
      expect(Number(res.headers.get('x-greenprint-energy-wh'))).toBeGreaterThan(0);
      await res.text();
      const events = gateway.sink.events;
      expect(events.map((e) => [e.requestModel, e.tags?.cascade])).toEqual([
        ['gpt-4o-mini', 'discarded'],
        ['gpt-4o', undefined],
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('a cascade answer thrown away is charged to the budgets as well as metered', async () => {
    const budgets = budgetPolicy([{ name: 'day', project: 'default', period: 'day', gco2e: 1000 }], {
      store: new MemoryBudgetStore(),
      estimator,
      onWarning: () => {},
    });
    const gateway = await startGateway(
      {
        upstreams: [{ name: 'open', baseUrl: `${upstream.url}/v1`, provider: 'openai', region: 'us-east-1' }],
        routes: [{ match: 'auto', cascade: { models: ['gpt-4o-mini', 'gpt-4o'], escalateOn: ['refusal'] } }],
      },
      { policies: [budgets.policy], observers: [budgets.observer] },
    );
    try {
      upstream.script = (request) =>
        request.model === 'gpt-4o-mini'
          ? chatAnswer('gpt-4o-mini', "I'm sorry, I can't help with that.")
          : chatAnswer(request.model ?? '', 'Paris is the capital of France.');
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Capital of France?' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      const events = gateway.sink.events;
      expect(events.map((e) => e.tags?.cascade)).toEqual(['discarded', undefined]);
      const discarded = carbonOf(events.slice(0, 1));
      expect(discarded).toBeGreaterThan(0);
      const used = async () => (await budgets.usage('default'))[0]?.used ?? 0;
      // Both answers used energy: the budget holds the discarded one's carbon too.
      await expect.poll(used).toBeCloseTo(carbonOf(events), 12);
    } finally {
      await gateway.close();
    }
  });
});
