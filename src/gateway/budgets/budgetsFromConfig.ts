import type { GatewayConfig } from '../config.js';
import { type BudgetPolicy, type BudgetPolicyOptions, budgetPolicy } from './budgetPolicy.js';
import type { BudgetStore } from './budgetStore.js';
import { MemoryBudgetStore } from './memoryBudgetStore.js';
import { RedisBudgetStore } from './redisBudgetStore.js';

export interface ConfiguredBudgets extends BudgetPolicy {
  store: BudgetStore;
  /** Closes the store's connection. */
  close(): Promise<void>;
}

/**
 * The budget policy of a gateway config: counters in Redis when `redis` is set (shared by every
 * replica under `redis.prefix`), else in this process. Wire `policy` first in the gateway's
 * `policies` and `observer` in its `observers`.
 */
export function budgetsFromConfig(
  config: Pick<GatewayConfig, 'budgets' | 'redis'>,
  options: Omit<BudgetPolicyOptions, 'store'>,
): ConfiguredBudgets {
  const store =
    config.redis && config.budgets.length > 0
      ? new RedisBudgetStore({ url: config.redis.url, prefix: config.redis.prefix })
      : new MemoryBudgetStore(options.now ? { now: options.now } : {});
  return { ...budgetPolicy(config.budgets, { ...options, store }), store, close: () => store.close() };
}
