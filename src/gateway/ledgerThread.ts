import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { UsageEvent } from '../core/index.js';
import type { RecordFn, RecordResult } from '../ledger/index.js';
import type { LedgerJob, LedgerJobDone } from './ledgerThreadWorker.js';

/** A ledger connection on a thread of its own, for the spool's writes. */
export interface LedgerThread {
  /** Records a batch on the thread's ledger; rejects with the ledger's error message. */
  record: RecordFn;
  /** Closes the thread's ledger connection and ends the thread. */
  close(): Promise<void>;
}

// Compiled, the worker is the sibling .js file. Run from the TypeScript sources (the tests), it is
// the .ts file, loaded through tsx's API: Node 20 gives worker threads no loader hooks.
const source = import.meta.url.endsWith('.ts');
const WORKER = new URL(source ? './ledgerThreadWorker.ts' : './ledgerThreadWorker.js', import.meta.url);
const WORKER_ENTRY = source
  ? `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(WORKER.href)}, ${JSON.stringify(import.meta.url)}));`
  : fileURLToPath(WORKER);

/**
 * Writes to the ledger at `url` from a worker thread, so that the database never blocks the
 * gateway's event loop: with SQLite (better-sqlite3 is synchronous) a batch of 1,000 events held it
 * for ~12 ms, long enough to show in the gateway's p99 latency. Pass `record` to the SpoolingSink;
 * the ledger the server reads from stays on the main thread (SQLite's WAL lets both connections
 * work). The thread starts on the first batch and again after it dies; a batch it was writing
 * rejects, and the spool replays it.
 */
export function startLedgerThread(options: { url: string }): LedgerThread {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  const failAll = (error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  const start = (): Worker => {
    const thread = new Worker(WORKER_ENTRY, { eval: source, workerData: { url: options.url } });
    thread.on('message', (done: LedgerJobDone) => {
      const job = pending.get(done.id);
      pending.delete(done.id);
      if (pending.size === 0) thread.unref();
      if (done.error !== undefined) job?.reject(new Error(done.error));
      else job?.resolve(done.result);
    });
    thread.on('error', (error) => failAll(error));
    thread.on('exit', (code) => {
      if (worker === thread) worker = undefined;
      failAll(new Error(`The ledger thread exited (code ${code}).`));
    });
    return thread;
  };
  const send = (job: Omit<LedgerJob, 'id'>) => {
    const thread = (worker ??= start());
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // A batch in flight keeps the process alive (a closing server flushes its spool); an idle
      // thread does not.
      thread.ref();
      thread.postMessage({ ...job, id } satisfies LedgerJob);
    });
  };

  return {
    record: (events: UsageEvent[]) => send({ events }) as Promise<RecordResult>,
    async close() {
      const thread = worker;
      if (!thread) return;
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      await send({ close: true }).catch(() => {});
      await exited;
    },
  };
}
