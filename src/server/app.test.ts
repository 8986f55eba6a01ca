import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEstimator } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { authenticate, hashApiKey } from '../gateway/index.js';
import { Ledger } from '../ledger/index.js';
import { createApp } from './app.js';

// Beyond loopback (`auth` given), the OTLP receiver and the ledger API need a gateway key, and a key
// reads its own project's rows only, whatever the query asks.
describe('createApp with auth', () => {
  it('refuses keyless calls and scopes ledger reads to the key’s project', async () => {
    const ledger = await Ledger.open({ url: ':memory:', estimator: createEstimator(loadReferenceData()) });
    try {
      await ledger.record([
        { id: 'a1', requestModel: 'gpt-4o-mini', inputTokens: 100, outputTokens: 50, project: 'alpha' },
        { id: 'b1', requestModel: 'gpt-4o-mini', inputTokens: 100, outputTokens: 50, project: 'beta' },
        { id: 'b2', requestModel: 'gpt-4o-mini', inputTokens: 100, outputTokens: 50, project: 'beta' },
      ]);
      const keys = [{ id: 'k', sha256: hashApiKey('gp-alpha'), project: 'alpha', role: 'read' as const }];
      const app = createApp({ ledger, auth: authenticate({ keys, requireKey: true }) });
      expect((await app.request('/v1/ledger/report')).status).toBe(401);
      expect((await app.request('/v1/traces', { method: 'POST', body: '{}' })).status).toBe(401);
      const headers = { authorization: 'Bearer gp-alpha' };
      const own = (await (
        await app.request('/v1/ledger/report?by=project&project=beta', { headers })
      ).json()) as {
        rows: { group: { project: string }; events: number }[];
      };
      expect(own.rows).toEqual([expect.objectContaining({ group: { project: 'alpha' }, events: 1 })]);
      // Spans naming another project (this fixture's service.name is support-bot) land in the key's own.
      const spans = readFileSync(new URL('../otlp/fixtures/semconv-chat.json', import.meta.url), 'utf8');
      const sent = await app.request('/v1/traces', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: spans, // names its project "support-bot" (service.name)
      });
      expect(sent.status).toBe(200);
      const after = (await (await app.request('/v1/ledger/report?by=project', { headers })).json()) as {
        rows: { group: { project: string }; events: number }[];
      };
      expect(after.rows).toHaveLength(1);
      expect(after.rows[0]?.events).toBeGreaterThan(1);
      const open = createApp({ ledger });
      const all = (await (await open.request('/v1/ledger/report?by=project')).json()) as { rows: unknown[] };
      expect(all.rows.map((r) => (r as { group: { project: string } }).group.project).sort()).toEqual([
        'alpha',
        'beta',
      ]);
    } finally {
      await ledger.close();
    }
  });
});
