import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { GreenprintError } from '../../core/index.js';
import type {
  EnqueueInput,
  JobHandler,
  JobQueue,
  JobQueueOptions,
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

export interface BullJobQueueOptions extends JobQueueOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** BullMQ's key prefix; keys are `<prefix>:<name>:…`. Default `greenprint`. */
  prefix?: string;
}

/** Our record of a job: the source of truth for its key, payload and outcome. */
type RecordState = 'scheduled' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Due jobs moved into BullMQ per promotion round trip. */
const PROMOTE_BATCH = 100;

/**
 * BullMQ decides retries by its own attempt count, which ignores starts lost to dead workers; ours (in
 * the record) counts every start, so BullMQ is told to retry without limit and our count ends the job.
 */
const BULL_ATTEMPTS = 1_000_000;

const ENQUEUE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key', ARGV[2], 'payload', ARGV[3], 'runAtMs', ARGV[4], 'maxAttempts', ARGV[5],
  'attempts', 0, 'state', 'scheduled')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`;

/** After the BullMQ job exists: the schedule entry goes, a job not started or cancelled meanwhile is queued. */
const PROMOTED_LUA = `
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 and redis.call('HGET', KEYS[1], 'state') == 'scheduled' then
  redis.call('HSET', KEYS[1], 'state', 'queued')
end
return 1
`;

const CANCEL_LUA = `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'scheduled' or state == 'queued' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'cancelled')
  return 1
end
return 0
`;

/**
 * A worker is about to run the handler. Atomic with CANCEL_LUA, so a job is either cancelled or run,
 * never both; a job already finished is not run again; a job whose every attempt was started by a
 * worker that then died is failed instead of started once more.
 */
const BEGIN_LUA = `
local r = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'maxAttempts')
local state = r[1]
if not state then return {'missing', 0, 0} end
if state == 'cancelled' or state == 'done' or state == 'failed' then return {state, 0, 0} end
if tonumber(r[2]) >= tonumber(r[3]) then
  redis.call('HSET', KEYS[1], 'state', 'failed', 'error',
    'the worker running attempt ' .. r[2] .. ' stopped renewing its lease (it died or stalled) and no attempts remain')
  return {'failed', 0, 0}
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'running')
return {'run', redis.call('HINCRBY', KEYS[1], 'attempts', 1), tonumber(r[3])}
`;

/** ARGV: outcome (done | retry | failed), result JSON or error message, '1' when ARGV[2] is set. */
const FINISH_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if ARGV[1] == 'done' then
  redis.call('HSET', KEYS[1], 'state', 'done')
  redis.call('HDEL', KEYS[1], 'error')
  if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'result', ARGV[2]) end
elseif ARGV[1] == 'retry' then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'error', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[2])
end
return 1
`;

interface QueueCommands {
  gpEnqueue(
    record: string,
    scheduled: string,
    id: string,
    key: string,
    payload: string,
    runAtMs: string,
    maxAttempts: string,
  ): Promise<number>;
  gpPromoted(record: string, scheduled: string, id: string): Promise<number>;
  gpCancel(record: string, scheduled: string, id: string): Promise<number>;
  gpBegin(record: string, scheduled: string, id: string): Promise<[string, number, number]>;
  gpFinish(record: string, outcome: string, value: string, hasValue: string): Promise<number>;
}

/**
 * Jobs on Redis through BullMQ, for several machines. BullMQ runs them: a worker holds a job by a lock
 * of `leaseMs` that it renews while the handler runs, other workers' stalled-job checks put a job whose
 * lock expired back to wait, and failed attempts are retried after our backoff.
 *
 * The injected clock: BullMQ's delayed jobs wait in real time, which a test's fake clock cannot move.
 * So a job enqueued for later is not given to BullMQ at all; it waits in a sorted set of ours, scored by
 * `runAtMs`, and every worker's poll (each `pollMs`) promotes the entries with a score ≤ `now()` into
 * BullMQ as jobs to run at once, with the job id as BullMQ's `jobId` (duplicate promotions are no-ops).
 * Retry backoff stays BullMQ's, in wall-clock time, as in `SqliteJobQueue`.
 *
 * Beside BullMQ's job, a hash of ours (`<prefix>:<name>:gp:job:<id>`) holds the key, payload, our
 * attempt count and the outcome; short Lua scripts change it atomically, which is what makes
 * `cancel` race-free against a starting worker and keeps a job recorded `done` from running again even
 * if BullMQ did not hear of its completion.
 */
export class BullJobQueue<P = unknown> implements JobQueue<P> {
  readonly #rules: QueueRules;
  readonly #url: string;
  readonly #prefix: string;
  readonly #redis: Redis & QueueCommands;
  readonly #queue: Queue;
  readonly #scheduledKey: string;
  readonly #workers = new Set<RunningWorker>();
  #closed = false;

  constructor(options: BullJobQueueOptions) {
    this.#rules = queueRules(options);
    this.#url = options.url;
    this.#prefix = options.prefix ?? 'greenprint';
    if (this.#prefix.length === 0 || this.#prefix.includes(':')) {
      throw new GreenprintError(
        'invalid_input',
        `Job queue: prefix "${this.#prefix}" must be non-empty without ":".`,
      );
    }
    const redis = new Redis(options.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', (error: Error) => this.#rules.onError(error));
    redis.defineCommand('gpEnqueue', { numberOfKeys: 2, lua: ENQUEUE_LUA });
    redis.defineCommand('gpPromoted', { numberOfKeys: 2, lua: PROMOTED_LUA });
    redis.defineCommand('gpCancel', { numberOfKeys: 2, lua: CANCEL_LUA });
    redis.defineCommand('gpBegin', { numberOfKeys: 2, lua: BEGIN_LUA });
    redis.defineCommand('gpFinish', { numberOfKeys: 1, lua: FINISH_LUA });
    this.#redis = redis as Redis & QueueCommands;
    this.#queue = new Queue(this.#rules.name, {
      connection: { url: options.url, maxRetriesPerRequest: 1 },
      prefix: this.#prefix,
    });
    this.#queue.on('error', (error: Error) => this.#rules.onError(error));
    this.#scheduledKey = `${this.#prefix}:${this.#rules.name}:gp:scheduled`;
  }

  /** Resolves once Redis answers; rejects with what went wrong otherwise. */
  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async enqueue(input: EnqueueInput<P>): Promise<{ job: QueuedJob<P>; created: boolean }> {
    checkEnqueueInput(input);
    const id = jobIdFor(input.idempotencyKey);
    const created =
      (await this.#redis.gpEnqueue(
        this.#recordKey(id),
        this.#scheduledKey,
        id,
        input.idempotencyKey,
        JSON.stringify(input.payload),
        String(input.runAtMs),
        String(this.#rules.maxAttempts),
      )) === 1;
    if (created && input.runAtMs <= this.#rules.now()) await this.#promoteDue();
    const job = await this.get(id);
    if (!job || job.idempotencyKey !== input.idempotencyKey) {
      throw new GreenprintError(
        'internal_error',
        `Job queue: job ${id} exists for another idempotency key; this is a SHA-256 collision or a corrupted queue.`,
        { id },
      );
    }
    return { job, created };
  }

  async get(id: string): Promise<QueuedJob<P> | undefined> {
    const record = await this.#redis.hgetall(this.#recordKey(id));
    if (record.state === undefined || record.key === undefined || record.payload === undefined)
      return undefined;
    const job: QueuedJob<P> = {
      id,
      idempotencyKey: record.key,
      payload: JSON.parse(record.payload) as P,
      runAtMs: Number(record.runAtMs),
      attempts: Number(record.attempts),
      state: 'waiting',
    };
    if (record.error !== undefined) job.error = record.error;
    switch (record.state as RecordState) {
      case 'scheduled':
      case 'queued':
        break;
      case 'done':
        job.state = 'done';
        if (record.result !== undefined) job.result = JSON.parse(record.result);
        break;
      case 'failed':
        job.state = 'failed';
        break;
      case 'cancelled':
        job.state = 'cancelled';
        break;
      case 'running': {
        // Started: BullMQ knows whether a live worker holds it, or whether it gave up on it.
        const state = await this.#queue.getJobState(id);
        if (state === 'active') job.state = 'active';
        else if (state === 'failed') {
          job.state = 'failed';
          job.error = (await this.#queue.getJob(id))?.failedReason ?? job.error ?? 'failed in BullMQ';
        } else if (state === 'unknown') {
          job.state = 'failed';
          job.error = `started, then removed from BullMQ (queue "${this.#rules.name}") before it finished`;
        }
        break;
      }
    }
    return job;
  }

  async cancel(id: string): Promise<boolean> {
    return (await this.#redis.gpCancel(this.#recordKey(id), this.#scheduledKey, id)) === 1;
  }

  work(handler: JobHandler<P>, options?: WorkOptions): RunningWorker {
    if (this.#closed) throw new GreenprintError('invalid_input', 'Job queue: work() on a closed queue.');
    const { concurrency, pollMs } = workSettings(options);
    const rules = this.#rules;
    const leases = new Map<string, AbortController>();

    const worker = new Worker(
      rules.name,
      async (bullJob) => {
        const id = bullJob.id as string;
        const record = this.#recordKey(id);
        const [outcome, attempts, maxAttempts] = await this.#redis.gpBegin(record, this.#scheduledKey, id);
        if (outcome === 'cancelled' || outcome === 'done') return null;
        if (outcome !== 'run') {
          const job = await this.get(id);
          throw new UnrecoverableError(job?.error ?? `job ${id} has no record in queue "${rules.name}"`);
        }
        const job = await this.get(id);
        if (!job) throw new UnrecoverableError(`job ${id} has no record in queue "${rules.name}"`);
        const lease = new AbortController();
        leases.set(id, lease);
        try {
          let json: string | null;
          try {
            json = resultJson(await handler({ ...job, state: 'active', attempts }, lease.signal));
          } catch (error) {
            if (lease.signal.aborted) throw error;
            const message = errorMessage(error);
            const final = attempts >= maxAttempts;
            await this.#redis.gpFinish(record, final ? 'failed' : 'retry', message, '1');
            throw final ? new UnrecoverableError(message) : error;
          }
          if (lease.signal.aborted) return null;
          await this.#redis.gpFinish(record, 'done', json ?? '', json === null ? '0' : '1');
          return null;
        } finally {
          leases.delete(id);
        }
      },
      {
        connection: { url: this.#url, maxRetriesPerRequest: null },
        prefix: this.#prefix,
        concurrency,
        lockDuration: rules.leaseMs,
        stalledInterval: rules.leaseMs,
        maxStalledCount: BULL_ATTEMPTS,
        settings: { backoffStrategy: (attemptsMade: number) => backoffMs(rules, attemptsMade) },
      },
    );
    worker.on('error', (error: Error) => rules.onError(error));
    worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids)
        leases.get(id)?.abort(new Error(`job ${id}: lease lost, another worker may run it`));
    });

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async () => {
      try {
        await this.#promoteDue();
      } catch (error) {
        rules.onError(asError(error));
      }
      if (!stopped) timer = setTimeout(poll, pollMs);
    };
    void poll();

    const running: RunningWorker = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        clearTimeout(timer);
        await worker.close();
        this.#workers.delete(running);
      },
    };
    this.#workers.add(running);
    return running;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#workers].map((w) => w.stop()));
    await this.#queue.close();
    this.#redis.disconnect();
  }

  #recordKey(id: string): string {
    return `${this.#prefix}:${this.#rules.name}:gp:job:${id}`;
  }

  /** Moves the jobs due by `now()` from our schedule into BullMQ, oldest `runAtMs` first. */
  async #promoteDue(): Promise<void> {
    for (;;) {
      const due = await this.#redis.zrangebyscore(
        this.#scheduledKey,
        '-inf',
        String(this.#rules.now()),
        'LIMIT',
        0,
        PROMOTE_BATCH,
      );
      for (const id of due) {
        await this.#queue.add(
          'job',
          {},
          {
            jobId: id,
            attempts: BULL_ATTEMPTS,
            backoff: { type: 'greenprint' },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: false,
          },
        );
        await this.#redis.gpPromoted(this.#recordKey(id), this.#scheduledKey, id);
      }
      if (due.length < PROMOTE_BATCH) return;
    }
  }
}
