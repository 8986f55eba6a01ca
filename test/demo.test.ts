import { describe, expect, it } from 'vitest';
import { createEstimator } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { DEMO_PROJECT, runDemo } from '../src/demo/index.js';
import { Ledger, report } from '../src/ledger/index.js';

// The first-run demo: a simulated provider behind the real gateway, a content-production workload and
// a deferred batch, all recorded under project "demo" with the figures the estimator gives.
describe('runDemo', () => {
  it('replays the content pipeline through the gateway, hits the cache on repeated briefs, and defers one batch', async () => {
    const ledger = await Ledger.open({ url: ':memory:', estimator: createEstimator(loadReferenceData()) });
    try {
      const now = Date.parse('2026-11-26T12:00:00Z');
      const progress: number[] = [];
      const result = await runDemo({
        ledger,
        now: () => now,
        days: 3,
        runsPerDay: 2,
        onProgress: (d) => progress.push(d),
      });
      expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
      // 8 calls per run (6 pipeline stages + 2 support), plus the batch's 40 requests.
      expect(result.events).toBe(6 * 8 + 40);
      const rep = await report(ledger, { by: ['project', 'pipeline', 'stage'] });
      expect(new Set(rep.rows.map((r) => r.group.project))).toEqual(new Set([DEMO_PROJECT]));
      const stages = rep.rows
        .filter((r) => r.group.pipeline === 'content-production')
        .map((r) => r.group.stage);
      expect(stages.sort()).toEqual(['brief', 'captions', 'script', 'storyboard', 'video', 'voice-over']);
      const storyboard = rep.rows.find((r) => r.group.stage === 'storyboard');
      expect(storyboard?.images).toBe(4 + 5 + 6 + 4 + 5 + 6);
      // Five distinct briefs at temperature 0 over six runs: the sixth is a cache hit, recorded with what it avoided.
      const rows = await ledger.db.selectFrom('events').select(['event_json', 'ts_ms']).execute();
      const hits = rows
        .map((r) => JSON.parse(r.event_json))
        .filter((e) => e.tags?.avoidedCo2eG !== undefined);
      expect(hits).toHaveLength(1);
      expect(Number(hits[0].tags.avoidedCo2eG)).toBeGreaterThan(0);
      // Every call sits in the three days before now.
      for (const r of rows) expect(Number(r.ts_ms)).toBeGreaterThan(now - 3 * 86_400_000);
      // The batch waited for its planned slot and ran there.
      const { batch } = result;
      expect(batch.status).toBe('completed');
      expect(batch.request_counts).toEqual({ total: 40, completed: 40, failed: 0 });
      const plan = batch.greenprint.plan;
      expect(plan?.start_at).toBeGreaterThan(batch.created_at);
      expect(plan?.expected_gco2e).toBeLessThan(plan?.run_now_gco2e ?? 0);
      expect(batch.greenprint.realised?.started_at).toBeGreaterThanOrEqual(plan?.start_at ?? Infinity);
    } finally {
      await ledger.close();
    }
  });
});
