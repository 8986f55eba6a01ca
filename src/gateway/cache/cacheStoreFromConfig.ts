import type { GatewayConfig } from '../config.js';
import type { CacheStore } from './cacheStore.js';
import { MemoryCacheStore } from './memoryCacheStore.js';
import { RedisCacheStore } from './redisCacheStore.js';

/**
 * The store `cache` and `redis` in greenprint.yaml ask for: Redis, shared by every replica, when
 * `redis` is set (`cache.maxEntries` is then ignored); otherwise an in-process LRU of `cache.maxEntries`.
 */
export function cacheStoreFromConfig(
  config: Pick<GatewayConfig, 'cache' | 'redis'>,
  options: { onError?: (error: Error) => void } = {},
): CacheStore {
  if (config.redis) {
    return new RedisCacheStore({
      url: config.redis.url,
      prefix: config.redis.prefix,
      onError: options.onError,
    });
  }
  return new MemoryCacheStore(config.cache.maxEntries);
}
