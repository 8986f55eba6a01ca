/**
 * The worker side of `startLedgerThread`: its own ledger connection, recording the batches the
 * gateway's thread sends, one at a time.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createEstimator, type UsageEvent } from '../core/index.js';
import { loadReferenceData } from '../data/index.js';
import { Ledger } from '../ledger/index.js';

/** A batch to record, or `close` to end the thread. */
export interface LedgerJob {
  id: number;
  events?: UsageEvent[];
  close?: true;
}

export interface LedgerJobDone {
  id: number;
  result?: unknown;
  error?: string;
}

const port = parentPort;
if (port) {
  const { url } = workerData as { url: string };
  // PRIO_PROCESS with pid 0 is this thread alone on Linux: the serving thread wins the CPU from it.
  try {
    setPriority(0, 19);
  } catch {
    // Not allowed here: the thread keeps the process's priority.
  }
  const estimator = createEstimator(loadReferenceData());
  let ledger: Ledger | undefined;
  /** Opened on first use, and again after a failure (the database may come back). */
  const open = async () => {
    ledger ??= await Ledger.open({ url, estimator });
    return ledger;
  };
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (job: LedgerJob) => {
    queue = queue.then(async () => {
      try {
        if (job.close) {
          await ledger?.close();
          port.postMessage({ id: job.id } satisfies LedgerJobDone);
          port.close();
          return;
        }
        const result = await (await open()).record(job.events ?? []);
        port.postMessage({ id: job.id, result } satisfies LedgerJobDone);
      } catch (error) {
        port.postMessage({ id: job.id, error: (error as Error).message } satisfies LedgerJobDone);
      }
    });
  });
}
