import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_KINDS, type QueueHome, waitFor } from './fixtures/queues.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const LEASE_MS = 500;

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe.each(QUEUE_KINDS)('$kind job queue durability', ({ home: makeHome }) => {
  let home: QueueHome | undefined;
  let dir: string | undefined;
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    await home?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(holdMs: number): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        QUEUE_URL: home?.url,
        QUEUE_PREFIX: home?.prefix ?? '',
        LEASE_MS: String(LEASE_MS),
        EFFECT_DIR: dir,
        HOLD_MS: String(holdMs),
      },
    });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    children.push(child);
    return child;
  }

  it('re-runs a job whose worker was killed -9 mid-job; its idempotent effect lands once and it ends done', {
    timeout: 60_000,
  }, async () => {
    home = makeHome();
    dir = mkdtempSync(join(tmpdir(), 'gp-queue-kill-'));
    const starts = join(dir, 'starts.log');
    const effects = join(dir, 'effects.log');
    const queue = home.open<{ frame: number }>({ leaseMs: LEASE_MS });
    const { job } = await queue.enqueue({
      idempotencyKey: 'render:frame-42',
      payload: { frame: 42 },
      runAtMs: Date.now(),
    });

    const first = startWorker(60_000);
    await waitFor('the first worker to start the job', () => lines(starts).length === 1, 30_000);
    expect(lines(effects)).toEqual(['render:frame-42']);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // No live worker holds it, but nothing has noticed yet: still active, on a lease nobody renews.
    expect(await queue.get(job.id)).toMatchObject({ state: 'active', attempts: 1 });

    const second = startWorker(0);
    const done = await waitFor(
      'the second worker to finish the job',
      async () => {
        const j = await queue.get(job.id);
        return j?.state === 'done' && j;
      },
      30_000,
    );
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.result).toEqual({ pid: second.pid });
    expect(lines(effects)).toEqual(['render:frame-42']);
    const runs = lines(starts).map((line) => line.split(' '));
    expect(runs).toEqual([
      ['render:frame-42', String(first.pid), '1'],
      ['render:frame-42', String(second.pid), String(done.attempts)],
    ]);

    second.kill('SIGTERM');
    expect(await new Promise((r) => second.once('exit', (code) => r(code)))).toBe(0);
    expect((await queue.get(job.id))?.state).toBe('done');
    expect(lines(starts)).toHaveLength(2);
  });

  it('fails a job whose worker died on its last attempt instead of starting it again', {
    timeout: 60_000,
  }, async () => {
    home = makeHome();
    dir = mkdtempSync(join(tmpdir(), 'gp-queue-kill-'));
    const starts = join(dir, 'starts.log');
    const queue = home.open<{ frame: number }>({ leaseMs: LEASE_MS, maxAttempts: 1 });
    const { job } = await queue.enqueue({
      idempotencyKey: 'render:frame-7',
      payload: { frame: 7 },
      runAtMs: Date.now(),
    });

    const first = startWorker(60_000);
    await waitFor('the first worker to start the job', () => lines(starts).length === 1, 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    startWorker(0);
    const failed = await waitFor(
      'the second worker to give the job up',
      async () => {
        const j = await queue.get(job.id);
        return j?.state === 'failed' && j;
      },
      30_000,
    );
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/stopped renewing its lease/);
    expect(lines(starts)).toHaveLength(1);
  });
});
