import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dropPrefix, REDIS_URL, uniquePrefix } from './fixtures/queues.js';
import {
  BullJobQueue,
  DEFAULT_QUEUE_DB,
  type JobQueue,
  openJobQueue,
  QUEUE_URL_ENV,
  resolveQueueUrl,
  SqliteJobQueue,
} from './index.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gp-open-queue-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function closing<P>(queue: JobQueue<P>): JobQueue<P> {
  cleanup.push(() => queue.close());
  return queue;
}

describe('resolveQueueUrl', () => {
  it('takes the option, then GREENPRINT_QUEUE_URL, then the SQLite file beside the ledger', () => {
    expect(resolveQueueUrl('redis://a:6379', { [QUEUE_URL_ENV]: 'redis://b:6379' })).toBe('redis://a:6379');
    expect(resolveQueueUrl(undefined, { [QUEUE_URL_ENV]: 'redis://b:6379' })).toBe('redis://b:6379');
    expect(resolveQueueUrl(undefined, { [QUEUE_URL_ENV]: '' })).toBe(DEFAULT_QUEUE_DB);
    expect(resolveQueueUrl(undefined, {})).toBe('./.greenprint/queue.db');
  });
});

describe('openJobQueue', () => {
  it('opens SQLite for a path (from the environment here), creating its folder, and keeps jobs across reopening', async () => {
    const path = join(tempDir(), 'nested', 'queue.db');
    const queue = await openJobQueue<{ n: number }>({ env: { [QUEUE_URL_ENV]: `sqlite:${path}` } });
    expect(queue).toBeInstanceOf(SqliteJobQueue);
    expect((queue as SqliteJobQueue<{ n: number }>).location).toBe(path);
    const { job } = await queue.enqueue({ idempotencyKey: 'kept', payload: { n: 1 }, runAtMs: 5 });
    await queue.close();
    const reopened = closing(await openJobQueue<{ n: number }>({ url: path }));
    expect(await reopened.get(job.id)).toEqual(job);
  });

  it('opens BullMQ for a redis:// URL', async () => {
    const prefix = uniquePrefix();
    cleanup.push(() => dropPrefix(prefix));
    const queue = closing(await openJobQueue<string>({ url: REDIS_URL, prefix, name: 'batches' }));
    expect(queue).toBeInstanceOf(BullJobQueue);
    const { job, created } = await queue.enqueue({
      idempotencyKey: 'b1',
      payload: 'x',
      runAtMs: Date.now() + 60_000,
    });
    expect(created).toBe(true);
    expect(await queue.get(job.id)).toEqual(job);
  });

  it('fails at start-up, naming the option and the variable, when Redis does not answer', async () => {
    await expect(openJobQueue({ url: 'redis://user:secret@127.0.0.1:1', onError: () => {} })).rejects.toThrow(
      /127\.0\.0\.1:1.*option url, environment variable GREENPRINT_QUEUE_URL/,
    );
    await expect(
      openJobQueue({ url: 'redis://user:secret@127.0.0.1:1', onError: () => {} }),
    ).rejects.not.toThrow(/secret/);
  });

  it('refuses a queue file written by a newer schema', async () => {
    const path = join(tempDir(), 'queue.db');
    const db = new SQLite(path);
    db.pragma('user_version = 99');
    db.close();
    await expect(openJobQueue({ url: path })).rejects.toThrow(/schema version 99/);
  });

  it('keeps queues with different names in one store apart', async () => {
    const path = join(tempDir(), 'queue.db');
    const a = closing(await openJobQueue<string>({ url: path, name: 'a' }));
    const b = closing(await openJobQueue<string>({ url: path, name: 'b' }));
    const { job } = await a.enqueue({ idempotencyKey: 'same-key', payload: 'from a', runAtMs: 0 });
    expect(await b.get(job.id)).toBeUndefined();
    expect((await b.enqueue({ idempotencyKey: 'same-key', payload: 'from b', runAtMs: 0 })).created).toBe(
      true,
    );
  });
});
