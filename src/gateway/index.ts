export { ANONYMOUS_PROJECT, authenticate, hashApiKey } from './authenticate.js';
export { upstreamAgent } from './callUpstream.js';
export {
  CONFIG_ENV,
  DEFAULT_CONFIG_PATH,
  type GatewayConfig,
  gatewayConfigSchema,
  loadGatewayConfig,
  parseGatewayConfig,
  type UpstreamConfig,
} from './config.js';
export { type ConfiguredPolicies, configuredPolicies } from './configuredPolicies.js';
export { createGateway, type Gateway, type GatewayOptions } from './createGateway.js';
export { ENDPOINTS, type Endpoint } from './endpoints.js';
export { type Footprint, HEADER, UNMETERED } from './footprint.js';
export {
  GATEWAY_ERROR_CODES,
  GATEWAY_STATUS_BY_CODE,
  GatewayError,
  type GatewayErrorCode,
  type Protocol,
} from './gatewayError.js';
export { type LedgerThread, startLedgerThread } from './ledgerThread.js';
export type { Units } from './meters.js';
export {
  cascadePolicy,
  type DiscardedAttempt,
  fallbackPolicy,
  ROUTE_HEADER,
  type RoutePolicies,
  type RoutePolicy,
  routePoliciesSchema,
  upstreamResolver,
} from './policies/index.js';
export {
  type GatewayCall,
  type GatewayEnv,
  type GatewayIdentity,
  type GatewayPolicy,
  INTERNAL_CALL,
  type InternalCall,
  type UpstreamCall,
} from './policy.js';
export { availableModels } from './resolveRoute.js';
export {
  type EventSink,
  type SinkStats,
  SpoolingSink,
  type SpoolingSinkOptions,
} from './sink.js';
