import { Redis } from 'ioredis';
import type { BudgetStore, Reservation } from './budgetStore.js';

export interface RedisBudgetStoreOptions {
  /** `redis://[user:password@]host:port[/db]`, as in the config's `redis.url`. */
  url: string;
  /** Put before every key, as in the config's `redis.prefix` (default `greenprint:`). */
  prefix?: string;
  /**
   * A command that has no answer after this many ms fails (the policy then admits or refuses as
   * configured); default 500. Bounds the latency Redis can add to a request while it is unreachable.
   */
  commandTimeoutMs?: number;
}

/**
 * The check-and-add of `reserve`, atomic because Redis runs a script without interleaving other
 * commands. Returns the counter as a string: Lua numbers would come back truncated to integers.
 */
const RESERVE_LUA = `
local raw = redis.call('GET', KEYS[1])
local used = tonumber(raw or '0')
if used >= tonumber(ARGV[2]) then return {0, raw or '0'} end
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1, after}
`;

/** INCRBYFLOAT only on a live counter: on an expired one it would create a key that never expires. */
const SETTLE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]) end
return false
`;

interface BudgetCommands {
  greenprintBudgetReserve(key: string, amount: string, limit: string, ttl: string): Promise<[number, string]>;
  greenprintBudgetSettle(key: string, delta: string): Promise<string | null>;
}

/**
 * Budget counters in Redis, shared by every gateway replica with the same `url` and `prefix`.
 * `reserve` is one Lua script (check, INCRBYFLOAT, EXPIRE on a new key); `settle` an INCRBYFLOAT
 * guarded by EXISTS in a script. Commands fail instead of queueing while Redis is unreachable.
 */
export class RedisBudgetStore implements BudgetStore {
  readonly #redis: Redis & BudgetCommands;
  readonly #prefix: string;
  readonly #where: string;

  constructor(options: RedisBudgetStoreOptions) {
    this.#prefix = options.prefix ?? 'greenprint:';
    this.#where = redisLabel(options.url);
    const redis = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs ?? 500,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    // Connection errors surface as failed commands, which the policy reports; without a listener
    // ioredis would print each reconnection failure itself.
    redis.on('error', () => {});
    redis.defineCommand('greenprintBudgetReserve', { numberOfKeys: 1, lua: RESERVE_LUA });
    redis.defineCommand('greenprintBudgetSettle', { numberOfKeys: 1, lua: SETTLE_LUA });
    this.#redis = redis as Redis & BudgetCommands;
  }

  async reserve(key: string, amount: number, limit: number, ttlSeconds: number): Promise<Reservation> {
    this.#ensureReachable();
    const [ok, used] = await this.#redis.greenprintBudgetReserve(
      this.#prefix + key,
      String(amount),
      String(limit),
      String(Math.max(1, Math.ceil(ttlSeconds))),
    );
    return { ok: ok === 1, used: Number(used) };
  }

  async settle(key: string, delta: number): Promise<void> {
    if (delta === 0) return;
    this.#ensureReachable();
    await this.#redis.greenprintBudgetSettle(this.#prefix + key, String(delta));
  }

  async used(key: string): Promise<number> {
    this.#ensureReachable();
    return Number((await this.#redis.get(this.#prefix + key)) ?? 0);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  /** Once a connection has failed, fail at once until it is back rather than wait for the timeout. */
  #ensureReachable(): void {
    const status = this.#redis.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      throw new Error(`Redis at ${this.#where} is unreachable (${status}).`);
    }
  }
}

/** host:port of a Redis URL, never its credentials. */
function redisLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host || 'the configured URL';
  } catch {
    return 'the configured URL';
  }
}
