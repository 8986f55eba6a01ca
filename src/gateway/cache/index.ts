export { type CacheKeyInput, cacheKey, canonicalJson, IGNORED_BODY_FIELDS } from './cacheKey.js';
export { CACHE_KEY_HEADER, type CachePolicyOptions, cachePolicy } from './cachePolicy.js';
export type { CacheStore, StoredAnswer } from './cacheStore.js';
export { cacheStoreFromConfig } from './cacheStoreFromConfig.js';
export { CACHEABLE_PATHS, isCacheable, requestedCacheMode } from './isCacheable.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './memoryCacheStore.js';
export { RedisCacheStore, type RedisCacheStoreOptions } from './redisCacheStore.js';
