/** Where a job stands. A job in retry backoff is `waiting` again, with `attempts` > 0 and the last `error`. */
export type JobState = 'waiting' | 'active' | 'done' | 'failed' | 'cancelled';

export interface EnqueueInput<P> {
  /**
   * Names the effect the job exists to produce (for example `batch:<id>`). The queue keeps one job per
   * key, ever: enqueuing a key again answers the job already there, whatever its state or payload.
   */
  idempotencyKey: string;
  /** Anything JSON can carry; it is stored as JSON and handed back parsed. */
  payload: P;
  /** Epoch ms, on the queue's injected clock (`now`), from which the job may run. */
  runAtMs: number;
}

export interface QueuedJob<P> {
  /** Derived from the idempotency key (`jobIdFor`), so it is the same in every implementation. */
  id: string;
  idempotencyKey: string;
  payload: P;
  runAtMs: number;
  /** Times a worker has started the job, the current run included. */
  attempts: number;
  state: JobState;
  /** What the handler returned (through JSON), once `done`. */
  result?: unknown;
  /** The last failure's message: set once `failed`, and while `waiting` for a retry. */
  error?: string;
}

/**
 * Runs one job. The contract: **make the job's effects idempotent by `job.idempotencyKey`.** The
 * queue runs each job at least once — a worker that dies or loses its lease mid-job has its job run
 * again by another — so a handler may be started twice for the same key, even after its effect took
 * place. The queue guarantees one job per key and that a job once `done` is never run again.
 *
 * `signal` aborts when this worker no longer holds the job (its lease could not be renewed in time and
 * another worker may be running it): stop as soon as convenient; what the handler returns after that
 * is discarded.
 */
export type JobHandler<P> = (job: QueuedJob<P>, signal: AbortSignal) => Promise<unknown>;

export interface WorkOptions {
  /** Jobs this worker runs at once; default 1. */
  concurrency?: number;
  /** How often the worker compares waiting jobs' `runAtMs` with `now()`, ms; default 1000. */
  pollMs?: number;
}

export interface RunningWorker {
  /** Claims nothing more and resolves once the jobs already running have settled (and been recorded). */
  stop(): Promise<void>;
}

/**
 * A durable queue of delayed jobs (`SqliteJobQueue`, `BullJobQueue`; `openJobQueue` picks one).
 *
 * - A job becomes runnable once the injected clock `now()` reaches its `runAtMs`; workers poll.
 * - At least once: a running job holds a lease (`leaseMs`, wall-clock time) that its worker renews by
 *   a heartbeat; when the worker dies the lease expires and another worker runs the job again.
 * - A handler that throws is retried after an exponential backoff (wall-clock time) until
 *   `maxAttempts` starts, then the job is `failed` with the last error.
 */
export interface JobQueue<P> {
  /** Adds a job, or answers the existing one for the same idempotency key with `created: false`. */
  enqueue(input: EnqueueInput<P>): Promise<{ job: QueuedJob<P>; created: boolean }>;
  get(id: string): Promise<QueuedJob<P> | undefined>;
  /** Cancels a `waiting` job (answers true); a job that is running or finished is left alone (false). */
  cancel(id: string): Promise<boolean>;
  /** Starts a worker in this process; several workers, in one process or many, may share a queue. */
  work(handler: JobHandler<P>, options?: WorkOptions): RunningWorker;
  /** Stops this queue's workers (as `stop()` does) and releases its connections. */
  close(): Promise<void>;
}

/** Options both implementations take. */
export interface JobQueueOptions {
  /** Queue name: queues with different names share a store without seeing each other's jobs. Default `default`. */
  name?: string;
  /** The scheduling clock, epoch ms, compared with `runAtMs`; default `Date.now`. Tests pass a fake one. */
  now?: () => number;
  /** How long a started job stays claimed without a heartbeat, ms; default 30 000. Heartbeats every third of it. */
  leaseMs?: number;
  /** Starts before a job is `failed`; default 5. */
  maxAttempts?: number;
  /** Retry n waits `min(baseMs · 2^(n−1), maxMs)` ms of wall-clock time; defaults 1000 and 300 000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /**
   * Told about failures of the queue itself inside a worker (store unreachable, a lease that could not
   * be renewed) — never about handler errors, which are the job's. Workers keep polling. Default console.error.
   */
  onError?: (error: Error) => void;
}
