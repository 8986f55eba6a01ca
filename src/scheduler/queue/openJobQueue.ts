import { GreenprintError } from '../../core/index.js';
import { BullJobQueue } from './bullJobQueue.js';
import type { JobQueue, JobQueueOptions } from './jobQueue.js';
import { DEFAULT_QUEUE_DB, SqliteJobQueue } from './sqliteJobQueue.js';

export const QUEUE_URL_ENV = 'GREENPRINT_QUEUE_URL';

export interface OpenJobQueueOptions extends JobQueueOptions {
  /** `redis://…` / `rediss://…` for BullMQ; anything else is a SQLite path (`sqlite:` / `file:` allowed). */
  url?: string;
  /** BullMQ's key prefix (Redis only); default `greenprint`. */
  prefix?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Where the queue lives, resolved once: the explicit `url`, then GREENPRINT_QUEUE_URL, then the SQLite
 * file `./.greenprint/queue.db` beside the ledger.
 */
export function resolveQueueUrl(url?: string, env: NodeJS.ProcessEnv = process.env): string {
  return url ?? (env[QUEUE_URL_ENV] || undefined) ?? DEFAULT_QUEUE_DB;
}

/**
 * Opens the configured queue: BullMQ on Redis for a `redis://` URL (checked with a PING, so a wrong URL
 * fails here rather than in the first worker), else the embedded SQLite queue.
 */
export async function openJobQueue<P = unknown>(options: OpenJobQueueOptions = {}): Promise<JobQueue<P>> {
  const { url: given, env, ...rest } = options;
  const url = resolveQueueUrl(given, env);
  if (/^rediss?:\/\//.test(url)) {
    const queue = new BullJobQueue<P>({ ...rest, url });
    try {
      await queue.ping();
    } catch (error) {
      await queue.close().catch(() => {});
      throw new GreenprintError(
        'queue_unavailable',
        `Job queue: Redis at ${url.replace(/\/\/([^@/]*)@/, '//***@')} did not answer (${(error as Error).message}); start it or fix the queue URL (option url, environment variable ${QUEUE_URL_ENV}).`,
        { option: 'url', env: QUEUE_URL_ENV },
        { cause: error },
      );
    }
    return queue;
  }
  const { prefix: _prefix, ...sqliteOptions } = rest;
  return new SqliteJobQueue<P>({ ...sqliteOptions, path: url });
}
