import type { CacheStore, StoredAnswer } from './cacheStore.js';

export interface MemoryCacheStoreOptions {
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
}

/**
 * An in-process LRU with a TTL per entry: at most `maxEntries` answers, the least recently read or
 * written one evicted first. A Map keeps insertion order, so moving an entry to the end on each read
 * is all the recency bookkeeping needed. Expired entries go when they are next read or evicted.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, { answer: StoredAnswer; expiresAt: number }>();
  private readonly now: () => number;

  constructor(
    private readonly maxEntries: number,
    options: MemoryCacheStoreOptions = {},
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`MemoryCacheStore needs maxEntries ≥ 1 (cache.maxEntries), got ${maxEntries}.`);
    }
    this.now = options.now ?? Date.now;
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<StoredAnswer | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.answer;
  }

  /** Takes effect before it returns its promise: a caller need not await it to read the entry back. */
  async set(key: string, answer: StoredAnswer, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { answer, expiresAt: this.now() + ttlSeconds * 1000 });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
