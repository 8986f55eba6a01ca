import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config.js';
import { configuredPolicies } from './configuredPolicies.js';
import { CLIENT_KEY, estimator, startGateway } from './fixtures/harness.js';
import {
  chatAnswer,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './policies/fixtures/scriptedUpstream.js';

// greenprint.yaml's limits, budgets and cache working together through the real gateway.
let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe('policies from the gateway config', () => {
  it('limits reject, the cache answers repeats, the budget refuses once spent', async () => {
    const raw = {
      upstreams: [{ name: 'open', baseUrl: `${upstream.url}/v1`, provider: 'openai', region: 'us-east-1' }],
      limits: [{ match: 'gpt-4o-mini', maxInputTokens: 200 }],
      // A few calls' worth of carbon (one call is about 0.0005 g); cache hits are free.
      budgets: [{ name: 'tiny', project: 'default', period: 'day', gco2e: 0.002 }],
      cache: { enabled: true },
    };
    const configured = await configuredPolicies(parseGatewayConfig(raw), { estimator, onError: () => {} });
    const gateway = await startGateway(raw, {
      policies: configured.policies,
      observers: configured.observers,
    });
    upstream.script = (r) => chatAnswer(r.model ?? '', 'Paris.');
    const ask = (content: string, temperature = 0) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          temperature,
          max_tokens: 20,
          messages: [{ role: 'user', content }],
        }),
      });
    try {
      const long = await ask('word '.repeat(400));
      expect(long.status).toBe(400);
      expect(((await long.json()) as { error: { code: string } }).error.code).toBe('input_too_long');
      expect(long.headers.get('x-greenprint-upstream-status')).toBeNull();

      const first = await ask('Capital of France?');
      await first.text();
      const again = await ask('Capital of France?');
      await again.text();
      expect(again.headers.get('x-greenprint-cache')).toBe('hit');
      expect(upstream.requests).toHaveLength(1);

      let refused: Response | undefined;
      for (let i = 0; i < 50 && !refused; i++) {
        const r = await ask(`Question ${i}?`, 0.5);
        if (r.status === 429) refused = r;
        else await r.text();
      }
      expect(refused?.status).toBe(429);
      expect(refused?.headers.get('x-greenprint-budget')).toContain('tiny');
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await gateway.close();
      await configured.close();
    }
  });
});
