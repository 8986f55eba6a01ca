import type { BudgetStore, Reservation } from './budgetStore.js';

export interface MemoryBudgetStoreOptions {
  /** Clock for expiry, epoch ms; default Date.now. */
  now?: () => number;
}

interface Counter {
  used: number;
  expiresAt: number;
}

/** Expired counters are swept at most this often, ms. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Budget counters in this process's memory, for a single gateway. Each method does its whole
 * check-and-add before its first `await`, so concurrent requests cannot interleave inside it.
 */
export class MemoryBudgetStore implements BudgetStore {
  readonly #counters = new Map<string, Counter>();
  readonly #now: () => number;
  #nextSweep = 0;

  constructor(options: MemoryBudgetStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async reserve(key: string, amount: number, limit: number, ttlSeconds: number): Promise<Reservation> {
    const now = this.#now();
    this.#sweep(now);
    const counter = this.#live(key, now);
    const used = counter?.used ?? 0;
    if (used >= limit) return { ok: false, used };
    if (counter) counter.used += amount;
    else this.#counters.set(key, { used: amount, expiresAt: now + ttlSeconds * 1000 });
    return { ok: true, used: used + amount };
  }

  async settle(key: string, delta: number): Promise<void> {
    const counter = this.#live(key, this.#now());
    if (counter) counter.used += delta;
  }

  async used(key: string): Promise<number> {
    return this.#live(key, this.#now())?.used ?? 0;
  }

  async close(): Promise<void> {
    this.#counters.clear();
  }

  #live(key: string, now: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.#counters.delete(key);
      return undefined;
    }
    return counter;
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [key, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(key);
  }
}
