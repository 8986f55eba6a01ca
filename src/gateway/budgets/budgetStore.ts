/** What `BudgetStore.reserve` answers. */
export interface Reservation {
  /** Whether the amount was added. */
  ok: boolean;
  /** The counter after the call: with the amount when `ok`, unchanged when refused. */
  used: number;
}

/**
 * Counters of budget usage, one per budget, unit and period window, shared by every gateway replica
 * that uses the same store.
 *
 * Admission rule (both stores): `reserve` admits when the counter is still below the limit
 * (`used < limit`) and then adds the whole amount, even when that passes the limit. A counter
 * therefore ends at most one reservation over its limit, and never refuses while there is room left.
 * The stricter `used + amount <= limit` never passes the limit but refuses whenever a reservation,
 * an upper bound, does not fit in the room left, so a budget would stop short of its limit.
 */
export interface BudgetStore {
  /**
   * Atomically: when `used < limit`, adds `amount` and answers `{ ok: true, used: used + amount }`;
   * otherwise changes nothing and answers `{ ok: false, used }`. A new counter starts at 0 and expires
   * `ttlSeconds` after its first reservation (set that to the window's end plus a margin).
   */
  reserve(key: string, amount: number, limit: number, ttlSeconds: number): Promise<Reservation>;
  /**
   * Adds `delta` (actual − reserved, or −reserved to release) to a live counter. A counter that has
   * expired is left alone: its window is over, and recreating it would leave a key without expiry.
   */
  settle(key: string, delta: number): Promise<void>;
  /** The counter's value; 0 when it does not exist (never used, or expired). */
  used(key: string): Promise<number>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
