import type { Estimator } from '../core/index.js';
import { budgetsFromConfig } from './budgets/index.js';
import { cachePolicy, cacheStoreFromConfig } from './cache/index.js';
import type { GatewayConfig } from './config.js';
import type { Footprint } from './footprint.js';
import type { GatewayCall, GatewayPolicy } from './policy.js';

export interface ConfiguredPolicies {
  policies: GatewayPolicy[];
  observers: ((call: GatewayCall, footprint: Footprint) => void)[];
  /** Closes the shared stores (Redis connections). */
  close(): Promise<void>;
}

/**
 * The policies greenprint.yaml switches on, outermost first: lean-prompt limits (a capped output then
 * prices the budget's reservation and keys the cache), the cache (a hit costs nothing, so it needs no
 * budget), then budgets (reserve before the call, settle in the observer). The routing policies (cascade, fallback) run inside these, in
 * `createGateway`. Shared state lives in Redis when `redis` is configured, in-process otherwise.
 */
export async function configuredPolicies(
  config: GatewayConfig,
  options: { estimator: Estimator; now?: () => number; onError?: (error: Error) => void },
): Promise<ConfiguredPolicies> {
  const policies: GatewayPolicy[] = [];
  const observers: ConfiguredPolicies['observers'] = [];
  const closers: (() => Promise<void>)[] = [];
  if (config.limits.length > 0) {
    // The tokenizers' vocabularies take ~70 MB and ~190 ms to load: only when limits are configured.
    const { limitsPolicy } = await import('./limits/index.js');
    policies.push(limitsPolicy(config.limits));
  }
  if (config.cache.enabled) {
    const store = cacheStoreFromConfig(config, options.onError ? { onError: options.onError } : {});
    policies.push(
      cachePolicy(store, {
        ttlSeconds: config.cache.ttlSeconds,
        ...(options.onError ? { onError: options.onError } : {}),
      }),
    );
    closers.push(() => store.close());
  }
  if (config.budgets.length > 0) {
    const budgets = budgetsFromConfig(config, {
      estimator: options.estimator,
      ...(options.now ? { now: options.now } : {}),
      ...(options.onError ? { onWarning: (message: string) => options.onError?.(new Error(message)) } : {}),
    });
    policies.push(budgets.policy);
    observers.push(budgets.observer);
    closers.push(budgets.close);
  }
  return {
    policies,
    observers,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}
