import { Redis } from 'ioredis';
import { type CacheStore, type StoredAnswer, storedAnswerSchema } from './cacheStore.js';

export interface RedisCacheStoreOptions {
  /** redis://[user:password@]host:port[/db] (`redis.url`). */
  url: string;
  /** Put before every key (`redis.prefix`): an answer lives at `<prefix>cache:<sha256>`. */
  prefix: string;
  /** Longest wait for one command, ms, after which it counts as a miss; default 250. */
  commandTimeoutMs?: number;
  /** Told once per outage that Redis cannot be reached; default console.error. Never gets the URL's password. */
  onError?: (error: Error) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250;

/**
 * The cache shared by every gateway replica: `SET key value EX ttl` and `GET` on Redis. Redis is an
 * optimisation, never a dependency: when it is down or slow, reads answer undefined (a miss) within
 * `commandTimeoutMs` and writes are dropped, so requests go on to the upstream uncached. The outage is
 * reported once, and again only after Redis has answered in between.
 *
 * The connection opens on the first command (lazyConnect). While ioredis is reconnecting, commands
 * are not queued at all: each would only wait for its timeout.
 */
export class RedisCacheStore implements CacheStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly report: (error: Error) => void;
  private readonly where: string;
  private down = false;

  constructor(options: RedisCacheStoreOptions) {
    this.prefix = `${options.prefix}cache:`;
    this.report = options.onError ?? ((error) => console.error(error));
    this.where = hostOf(options.url);
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      // Fail queued commands at the first failed connection instead of after 20 reconnections.
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    // Without a listener ioredis prints every failed reconnection.
    this.redis.on('error', (error: Error) => this.failed(error));
  }

  async get(key: string): Promise<StoredAnswer | undefined> {
    if (this.unavailable()) return undefined;
    let text: string | null;
    try {
      text = await this.redis.get(this.prefix + key);
    } catch (error) {
      this.failed(error);
      return undefined;
    }
    this.down = false;
    if (text === null) return undefined;
    // Another version's or a damaged entry is a miss; the next answer overwrites it.
    const parsed = storedAnswerSchema.safeParse(parseJson(text));
    return parsed.success ? parsed.data : undefined;
  }

  /** Sends the SET before it returns its promise, so a caller may leave it unawaited. */
  async set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    if (this.unavailable()) return;
    try {
      await this.redis.set(this.prefix + key, JSON.stringify(answer), 'EX', ttlSeconds);
      this.down = false;
    } catch (error) {
      this.failed(error);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') {
      // QUIT lets the writes already sent finish.
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }

  private unavailable(): boolean {
    const status = this.redis.status;
    return status === 'reconnecting' || status === 'close' || status === 'end';
  }

  private failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.report(
      new Error(
        `The response cache cannot reach Redis at ${this.where}: requests go to the upstream uncached until it is back. Check redis.url and that Redis is running.`,
        { cause: error },
      ),
    );
  }
}

/** host:port of a Redis URL, so that a password in it never reaches a log. */
function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return '(unparseable redis.url)';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
