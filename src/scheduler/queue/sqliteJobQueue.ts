import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { GreenprintError } from '../../core/index.js';
import type {
  EnqueueInput,
  JobHandler,
  JobQueue,
  JobQueueOptions,
  JobState,
  QueuedJob,
  RunningWorker,
  WorkOptions,
} from './jobQueue.js';
import {
  asError,
  backoffMs,
  checkEnqueueInput,
  errorMessage,
  jobIdFor,
  type QueueRules,
  queueRules,
  resultJson,
  workSettings,
} from './jobRules.js';

/** The embedded default: a SQLite file of its own beside the ledger. */
export const DEFAULT_QUEUE_DB = './.greenprint/queue.db';

export interface SqliteJobQueueOptions extends JobQueueOptions {
  /** The SQLite file (created with its folder if missing), or `:memory:` for one process. */
  path: string;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  run_at_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  retry_at_ms INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_until_ms INTEGER,
  result TEXT,
  error TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (queue, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (queue, state, run_at_ms);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (queue, state, lease_until_ms);
`;

interface JobRow {
  id: string;
  idempotency_key: string;
  payload: string;
  run_at_ms: number;
  state: JobState;
  attempts: number;
  lease_token: string | null;
  result: string | null;
  error: string | null;
}

/**
 * Jobs in a table of a SQLite file (WAL, `synchronous = FULL`, so an acknowledged enqueue survives a
 * crash of the process or the machine). Any number of processes may work one file: a claim is one
 * `UPDATE … RETURNING` inside `BEGIN IMMEDIATE`, so SQLite's write lock hands each due job to exactly one
 * claimer, which then holds it by a lease token until it finishes or stops renewing.
 *
 * Two clocks, on purpose: `runAtMs` is compared with the injected `now()` (the scheduling clock a test
 * can move six hours ahead), while leases and retry backoff are wall-clock time (`Date.now()`), because
 * they measure whether a process is alive and how long to wait, and heartbeats run on real timers.
 */
export class SqliteJobQueue<P = unknown> implements JobQueue<P> {
  readonly location: string;
  readonly #db: SQLite.Database;
  readonly #rules: QueueRules;
  readonly #workers = new Set<RunningWorker>();
  readonly #statements: ReturnType<typeof prepare>;
  #closed = false;

  constructor(options: SqliteJobQueueOptions) {
    this.#rules = queueRules(options);
    const path = options.path.replace(/^(sqlite|file):(\/\/)?/, '');
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.location = path === ':memory:' ? path : resolve(path);
    this.#db = new SQLite(path);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('busy_timeout = 5000');
      migrate(this.#db, this.location);
      this.#statements = prepare(this.#db);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  async enqueue(input: EnqueueInput<P>): Promise<{ job: QueuedJob<P>; created: boolean }> {
    checkEnqueueInput(input);
    const id = jobIdFor(input.idempotencyKey);
    const at = Date.now();
    const inserted = this.#statements.insert.get({
      queue: this.#rules.name,
      id,
      key: input.idempotencyKey,
      payload: JSON.stringify(input.payload),
      runAt: input.runAtMs,
      maxAttempts: this.#rules.maxAttempts,
      at,
    }) as JobRow | undefined;
    if (inserted) return { job: toJob<P>(inserted), created: true };
    const existing = this.#row(id);
    if (!existing || existing.idempotency_key !== input.idempotencyKey) {
      throw new GreenprintError(
        'internal_error',
        `Job queue: job ${id} exists for another idempotency key; this is a SHA-256 collision or a corrupted queue.`,
        { id },
      );
    }
    return { job: toJob<P>(existing), created: false };
  }

  async get(id: string): Promise<QueuedJob<P> | undefined> {
    const row = this.#row(id);
    return row ? toJob<P>(row) : undefined;
  }

  async cancel(id: string): Promise<boolean> {
    return this.#statements.cancel.run({ queue: this.#rules.name, id, at: Date.now() }).changes === 1;
  }

  work(handler: JobHandler<P>, options?: WorkOptions): RunningWorker {
    if (this.#closed) throw new GreenprintError('invalid_input', 'Job queue: work() on a closed queue.');
    const { concurrency, pollMs } = workSettings(options);
    const running = new Set<Promise<void>>();
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    const schedule = (ms: number) => {
      if (stopped) return;
      clearTimeout(timer);
      timer = setTimeout(tick, ms);
    };
    const tick = () => {
      timer = undefined;
      if (stopped) return;
      const free = concurrency - running.size;
      if (free > 0) {
        let claimed: JobRow[] = [];
        try {
          claimed = this.#claim(free);
        } catch (error) {
          this.#rules.onError(asError(error));
        }
        for (const row of claimed) {
          const run: Promise<void> = this.#run(row, handler).finally(() => {
            running.delete(run);
            schedule(0);
          });
          running.add(run);
        }
      }
      schedule(pollMs);
    };

    const worker: RunningWorker = {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await Promise.allSettled([...running]);
        this.#workers.delete(worker);
      },
    };
    this.#workers.add(worker);
    schedule(0);
    return worker;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#workers].map((w) => w.stop()));
    this.#db.close();
  }

  #row(id: string): JobRow | undefined {
    return this.#statements.get.get({ queue: this.#rules.name, id }) as JobRow | undefined;
  }

  /**
   * One write transaction: jobs whose worker died on their last attempt are failed, then up to
   * `limit` due jobs (waiting and due on both clocks, or active with an expired lease) are taken.
   */
  #claim(limit: number): JobRow[] {
    const s = this.#statements;
    const queue = this.#rules.name;
    const wall = Date.now();
    const claim = this.#db.transaction(() => {
      s.failAbandoned.run({ queue, wall });
      return s.claim.all({
        queue,
        now: this.#rules.now(),
        wall,
        leaseUntil: wall + this.#rules.leaseMs,
        token: randomUUID(),
        limit,
      }) as JobRow[];
    });
    return claim.immediate();
  }

  async #run(row: JobRow, handler: JobHandler<P>): Promise<void> {
    const s = this.#statements;
    const queue = this.#rules.name;
    const token = row.lease_token as string;
    const lease = new AbortController();
    const heartbeat = setInterval(
      () => {
        try {
          const renewed = s.renew.run({
            queue,
            id: row.id,
            token,
            leaseUntil: Date.now() + this.#rules.leaseMs,
          });
          if (renewed.changes === 0) {
            clearInterval(heartbeat);
            lease.abort(new Error(`job ${row.id}: lease lost, another worker may be running it`));
          }
        } catch (error) {
          this.#rules.onError(asError(error));
        }
      },
      Math.max(10, Math.floor(this.#rules.leaseMs / 3)),
    );
    try {
      let outcome: { ok: true; result: string | null } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: resultJson(await handler(toJob<P>(row), lease.signal)) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      clearInterval(heartbeat);
      if (lease.signal.aborted) return;
      if (outcome.ok) {
        s.complete.run({ queue, id: row.id, token, result: outcome.result, at: Date.now() });
      } else {
        const wall = Date.now();
        s.fail.run({
          queue,
          id: row.id,
          token,
          error: errorMessage(outcome.error),
          retryAt: wall + backoffMs(this.#rules, row.attempts),
          at: wall,
        });
      }
    } catch (error) {
      // Recording the outcome failed (the file is locked or gone): the lease will expire and the
      // job run again, which the idempotency contract allows.
      this.#rules.onError(asError(error));
    } finally {
      clearInterval(heartbeat);
    }
  }
}

function migrate(db: SQLite.Database, location: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new GreenprintError(
      'invalid_input',
      `Job queue ${location} has schema version ${version}, newer than this Greenprint knows (${SCHEMA_VERSION}); upgrade Greenprint or use another queue file.`,
      { location, version },
    );
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

const COLUMNS = 'id, idempotency_key, payload, run_at_ms, state, attempts, lease_token, result, error';

function prepare(db: SQLite.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO jobs (queue, id, idempotency_key, payload, run_at_ms, state, max_attempts, created_at_ms, updated_at_ms)
       VALUES (@queue, @id, @key, @payload, @runAt, 'waiting', @maxAttempts, @at, @at)
       ON CONFLICT (queue, id) DO NOTHING
       RETURNING ${COLUMNS}`,
    ),
    get: db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE queue = @queue AND id = @id`),
    cancel: db.prepare(
      `UPDATE jobs SET state = 'cancelled', updated_at_ms = @at
       WHERE queue = @queue AND id = @id AND state = 'waiting'`,
    ),
    failAbandoned: db.prepare(
      `UPDATE jobs SET state = 'failed', lease_token = NULL, lease_until_ms = NULL, updated_at_ms = @wall,
         error = 'the worker running attempt ' || attempts || ' stopped renewing its lease (it died or stalled) and no attempts remain'
       WHERE queue = @queue AND state = 'active' AND lease_until_ms <= @wall AND attempts >= max_attempts`,
    ),
    claim: db.prepare(
      `UPDATE jobs SET state = 'active', attempts = attempts + 1, lease_token = @token,
         lease_until_ms = @leaseUntil, updated_at_ms = @wall
       WHERE queue = @queue AND id IN (
         SELECT id FROM jobs
         WHERE queue = @queue AND (
           (state = 'waiting' AND run_at_ms <= @now AND retry_at_ms <= @wall)
           OR (state = 'active' AND lease_until_ms <= @wall))
         ORDER BY run_at_ms, id
         LIMIT @limit)
       RETURNING ${COLUMNS}`,
    ),
    renew: db.prepare(
      `UPDATE jobs SET lease_until_ms = @leaseUntil
       WHERE queue = @queue AND id = @id AND lease_token = @token AND state = 'active'`,
    ),
    complete: db.prepare(
      `UPDATE jobs SET state = 'done', result = @result, error = NULL, lease_token = NULL,
         lease_until_ms = NULL, updated_at_ms = @at
       WHERE queue = @queue AND id = @id AND lease_token = @token AND state = 'active'`,
    ),
    fail: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'waiting' END,
         error = @error, retry_at_ms = @retryAt, lease_token = NULL, lease_until_ms = NULL, updated_at_ms = @at
       WHERE queue = @queue AND id = @id AND lease_token = @token AND state = 'active'`,
    ),
  };
}

function toJob<P>(row: JobRow): QueuedJob<P> {
  const job: QueuedJob<P> = {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    payload: JSON.parse(row.payload) as P,
    runAtMs: row.run_at_ms,
    attempts: row.attempts,
    state: row.state,
  };
  if (row.result !== null) job.result = JSON.parse(row.result);
  if (row.error !== null) job.error = row.error;
  return job;
}
