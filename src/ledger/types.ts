import type { UsageEvent } from '../core/index.js';

/** What `record` did with a batch of events. Indexes refer to positions in the batch. */
export interface RecordResult {
  /** Events stored now. */
  inserted: number;
  /** Events whose id was already in the ledger: skipped, never counted twice. */
  duplicates: number;
  /** Events that could not be estimated (unknown model, impossible units), with the reason. */
  rejected: { index: number; id?: string; code: string; reason: string }[];
}

/** Anything that accepts usage events: the ledger, or a test's collector. */
export type RecordFn = (events: UsageEvent[]) => Promise<RecordResult>;
