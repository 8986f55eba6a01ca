import { afterEach, describe, expect, it } from 'vitest';
import { GreenprintError } from '../../core/index.js';
import { fakeClock, QUEUE_KINDS, type QueueHome, sleep, waitFor } from './fixtures/queues.js';
import type { JobQueue, QueuedJob, RunningWorker } from './index.js';
import { jobIdFor } from './index.js';

const HOUR_MS = 3_600_000;

describe.each(QUEUE_KINDS)('$kind job queue', ({ home: makeHome }) => {
  let home: QueueHome;
  const workers: RunningWorker[] = [];

  function open<P>(options: Parameters<QueueHome['open']>[0] = {}): JobQueue<P> {
    home ??= makeHome();
    return home.open<P>({
      leaseMs: 500,
      backoff: { baseMs: 5 },
      onError: (e) => console.error(e),
      ...options,
    });
  }

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await home?.dispose();
    home = undefined as unknown as QueueHome;
  });

  it('keeps one job per idempotency key: enqueuing it again answers the first job', async () => {
    const clock = fakeClock();
    const queue = open<{ frame: number }>({ now: clock.now });
    const first = await queue.enqueue({
      idempotencyKey: 'render:42',
      payload: { frame: 42 },
      runAtMs: clock.now() + HOUR_MS,
    });
    expect(first.created).toBe(true);
    expect(first.job).toEqual({
      id: jobIdFor('render:42'),
      idempotencyKey: 'render:42',
      payload: { frame: 42 },
      runAtMs: clock.now() + HOUR_MS,
      attempts: 0,
      state: 'waiting',
    });
    const again = await queue.enqueue({
      idempotencyKey: 'render:42',
      payload: { frame: 43 },
      runAtMs: clock.now(),
    });
    expect(again).toEqual({ job: first.job, created: false });
    const other = await queue.enqueue({
      idempotencyKey: 'render:43',
      payload: { frame: 43 },
      runAtMs: clock.now(),
    });
    expect(other.created).toBe(true);
    expect(other.job.id).not.toBe(first.job.id);
    expect(await queue.get(first.job.id)).toEqual(first.job);
    expect(await queue.get(jobIdFor('never enqueued'))).toBeUndefined();
  });

  it('runs a job planned 6 h ahead only once the injected clock reaches its runAtMs', async () => {
    const clock = fakeClock();
    const queue = open<{ n: number }>({ now: clock.now });
    const ran: string[] = [];
    const later = await queue.enqueue({
      idempotencyKey: 'later',
      payload: { n: 1 },
      runAtMs: clock.now() + 6 * HOUR_MS,
    });
    workers.push(
      queue.work(
        async (job) => {
          ran.push(job.idempotencyKey);
          return { n: job.payload.n, attempt: job.attempts };
        },
        { pollMs: 10 },
      ),
    );
    const now = await queue.enqueue({ idempotencyKey: 'now', payload: { n: 2 }, runAtMs: clock.now() });
    await waitFor('the job due now to finish', async () => (await queue.get(now.job.id))?.state === 'done');
    await sleep(150); // many polls with the clock short of runAtMs
    expect(ran).toEqual(['now']);
    clock.advance(6 * HOUR_MS - 1);
    await sleep(150);
    expect(ran).toEqual(['now']);
    expect((await queue.get(later.job.id))?.state).toBe('waiting');
    clock.advance(1);
    const done = await waitFor('the delayed job to finish', async () => {
      const job = await queue.get(later.job.id);
      return job?.state === 'done' && job;
    });
    expect(ran).toEqual(['now', 'later']);
    expect(done).toMatchObject({ attempts: 1, result: { n: 1, attempt: 1 } });
    expect(done.error).toBeUndefined();
  });

  it('cancels waiting jobs only: a cancelled job never runs, a running or finished one cannot be cancelled', async () => {
    const clock = fakeClock();
    const queue = open<string>({ now: clock.now });
    const doomed = await queue.enqueue({
      idempotencyKey: 'doomed',
      payload: 'x',
      runAtMs: clock.now() + HOUR_MS,
    });
    expect(await queue.cancel(doomed.job.id)).toBe(true);
    expect((await queue.get(doomed.job.id))?.state).toBe('cancelled');
    expect(await queue.cancel(doomed.job.id)).toBe(false);
    // The key stays taken by the cancelled job.
    expect(
      await queue.enqueue({ idempotencyKey: 'doomed', payload: 'y', runAtMs: clock.now() }),
    ).toMatchObject({
      created: false,
      job: { state: 'cancelled', payload: 'x' },
    });

    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const ran: string[] = [];
    workers.push(
      queue.work(
        async (job) => {
          ran.push(job.idempotencyKey);
          if (job.idempotencyKey === 'held') await held;
        },
        { pollMs: 10 },
      ),
    );
    const heldJob = await queue.enqueue({ idempotencyKey: 'held', payload: 'h', runAtMs: clock.now() });
    await waitFor('the held job to start', () => ran.includes('held'));
    expect((await queue.get(heldJob.job.id))?.state).toBe('active');
    expect(await queue.cancel(heldJob.job.id)).toBe(false);
    release();
    await waitFor('the held job to finish', async () => (await queue.get(heldJob.job.id))?.state === 'done');
    expect(await queue.cancel(heldJob.job.id)).toBe(false);
    expect((await queue.get(heldJob.job.id))?.state).toBe('done');

    clock.advance(2 * HOUR_MS);
    const marker = await queue.enqueue({ idempotencyKey: 'after', payload: 'a', runAtMs: clock.now() });
    await waitFor(
      'a job enqueued after the cancel to finish',
      async () => (await queue.get(marker.job.id))?.state === 'done',
    );
    expect(ran).toEqual(['held', 'after']);
    expect(await queue.cancel(jobIdFor('unknown'))).toBe(false);
  });

  it('retries a failing handler, then marks the job failed with the last error after maxAttempts starts', async () => {
    const queue = open<null>({ maxAttempts: 3 });
    const calls: number[] = [];
    workers.push(
      queue.work(
        async (job) => {
          calls.push(job.attempts);
          throw new Error(`upstream refused (attempt ${job.attempts})`);
        },
        { pollMs: 10 },
      ),
    );
    const { job } = await queue.enqueue({ idempotencyKey: 'flaky', payload: null, runAtMs: Date.now() });
    const failed = await waitFor('the job to fail', async () => {
      const j = await queue.get(job.id);
      return j?.state === 'failed' && j;
    });
    expect(failed).toMatchObject({ attempts: 3, error: 'upstream refused (attempt 3)' });
    await sleep(100);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('waits out the backoff between attempts, keeps the error meanwhile, and can still cancel then', async () => {
    const queue = open<null>({ maxAttempts: 3, backoff: { baseMs: 60_000 } });
    let calls = 0;
    workers.push(
      queue.work(
        async () => {
          calls++;
          throw new Error('quota exceeded');
        },
        { pollMs: 10 },
      ),
    );
    const { job } = await queue.enqueue({ idempotencyKey: 'backoff', payload: null, runAtMs: Date.now() });
    await waitFor(
      'the first attempt to fail',
      async () => (await queue.get(job.id))?.error === 'quota exceeded',
    );
    await sleep(150);
    expect(calls).toBe(1);
    expect(await queue.get(job.id)).toMatchObject({ state: 'waiting', attempts: 1, error: 'quota exceeded' });
    expect(await queue.cancel(job.id)).toBe(true);
    expect((await queue.get(job.id))?.state).toBe('cancelled');
  });

  it('records a retry that succeeds as done with its result and no error', async () => {
    const queue = open<{ text: string }>({ maxAttempts: 4 });
    workers.push(
      queue.work(
        async (job) => {
          if (job.attempts < 2) throw new Error('transient');
          return { echoed: job.payload.text, key: job.idempotencyKey };
        },
        { pollMs: 10 },
      ),
    );
    const { job } = await queue.enqueue({
      idempotencyKey: 'echo',
      payload: { text: 'hi' },
      runAtMs: Date.now(),
    });
    const done = await waitFor('the job to finish', async () => {
      const j = await queue.get(job.id);
      return j?.state === 'done' && j;
    });
    expect(done).toEqual({ ...job, state: 'done', attempts: 2, result: { echoed: 'hi', key: 'echo' } });
  });

  it('fails an attempt whose result JSON cannot carry, like a handler error', async () => {
    const queue = open<null>({ maxAttempts: 1 });
    workers.push(queue.work(async () => 10n, { pollMs: 10 }));
    const { job } = await queue.enqueue({ idempotencyKey: 'bigint', payload: null, runAtMs: Date.now() });
    const failed = await waitFor('the job to fail', async () => {
      const j = await queue.get(job.id);
      return j?.state === 'failed' && j;
    });
    expect(failed).toMatchObject({ attempts: 1, error: expect.stringMatching(/cannot be stored as JSON/) });
  });

  it('gives each job to one worker: two queue handles with 3 slots each run 30 jobs once each', async () => {
    const a = open<number>();
    const b = open<number>();
    const runs = new Map<number, number>();
    const handler = async (job: QueuedJob<number>) => {
      runs.set(job.payload, (runs.get(job.payload) ?? 0) + 1);
      await sleep(5);
      return job.payload;
    };
    workers.push(
      a.work(handler, { concurrency: 3, pollMs: 10 }),
      b.work(handler, { concurrency: 3, pollMs: 10 }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        (await (i % 2 ? a : b).enqueue({ idempotencyKey: `job-${i}`, payload: i, runAtMs: Date.now() })).job
          .id,
      );
    }
    await waitFor(
      'all 30 jobs to finish',
      async () => (await Promise.all(ids.map((id) => a.get(id)))).every((j) => j?.state === 'done'),
      20_000,
    );
    expect([...runs.values()]).toEqual(Array(30).fill(1));
    expect(runs.size).toBe(30);
  });

  it('stop() claims nothing more and resolves after the running job is recorded', async () => {
    const queue = open<null>();
    let started = false;
    const worker = queue.work(
      async () => {
        started = true;
        await sleep(200);
        return 'finished';
      },
      { pollMs: 10 },
    );
    const { job } = await queue.enqueue({ idempotencyKey: 'graceful', payload: null, runAtMs: Date.now() });
    await waitFor('the job to start', () => started);
    await worker.stop();
    expect(await queue.get(job.id)).toMatchObject({ state: 'done', result: 'finished' });
    const next = await queue.enqueue({ idempotencyKey: 'after-stop', payload: null, runAtMs: Date.now() });
    await sleep(100);
    expect((await queue.get(next.job.id))?.state).toBe('waiting');
  });

  it('refuses input it cannot keep, saying which field is wrong', async () => {
    const queue = open<unknown>();
    await expect(queue.enqueue({ idempotencyKey: '', payload: 1, runAtMs: 0 })).rejects.toThrow(
      /idempotencyKey/,
    );
    await expect(queue.enqueue({ idempotencyKey: 'k', payload: 1, runAtMs: Number.NaN })).rejects.toThrow(
      /runAtMs/,
    );
    await expect(
      queue.enqueue({ idempotencyKey: 'k', payload: undefined, runAtMs: 0 }),
    ).rejects.toBeInstanceOf(GreenprintError);
    expect(() => queue.work(async () => {}, { concurrency: 0 })).toThrow(/concurrency/);
  });
});
