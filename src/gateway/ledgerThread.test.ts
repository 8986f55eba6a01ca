import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/dbs.js';
import { createEstimator, type UsageEvent } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { Ledger, report } from '../ledger/index.js';
import { startLedgerThread } from './ledgerThread.js';

const estimator = createEstimator(loadReferenceData());

function event(i: number): UsageEvent {
  return {
    id: `gw_thread${String(i).padStart(5, '0')}`,
    requestModel: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 100 + i,
    outputTokens: 20,
    project: 'thread',
    startTime: new Date(1.72e12 + i * 1000).toISOString(),
  };
}

describe('startLedgerThread', () => {
  it.each(DIALECTS)(
    'records batches on its own connection, which the main ledger then reads ($name)',
    {
      timeout: 30_000,
    },
    async ({ fresh }) => {
      const db = await fresh();
      const ledger = await Ledger.open({ url: db.url, estimator });
      const thread = startLedgerThread({ url: db.url });
      try {
        const first = await thread.record(Array.from({ length: 300 }, (_, i) => event(i)));
        expect(first).toEqual({ inserted: 300, duplicates: 0, rejected: [] });
        const again = await thread.record([event(0), { ...event(300), requestModel: 'no-such-model' }]);
        expect(again.duplicates).toBe(1);
        expect(again.rejected.map((r) => r.code)).toEqual(['unknown_model']);
        expect((await report(ledger)).total.events).toBe(300);
      } finally {
        await thread.close();
        await ledger.close();
        await db.drop();
      }
    },
  );

  it('rejects a batch with the ledger error when the database cannot be reached, and tries again', {
    timeout: 30_000,
  }, async () => {
    const thread = startLedgerThread({ url: 'postgres://greenprint:wrong@127.0.0.1:1/none' });
    try {
      await expect(thread.record([event(1)])).rejects.toThrow(/127\.0\.0\.1|ECONNREFUSED|reach/);
      await expect(thread.record([event(2)])).rejects.toThrow();
    } finally {
      await thread.close();
    }
  });
});
