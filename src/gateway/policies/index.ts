export {
  type CascadePolicyOptions,
  type CascadeUsage,
  cascadePolicy,
  type DiscardedAttempt,
} from './cascadePolicy.js';
export { type FallbackPolicyOptions, fallbackPolicy } from './fallbackPolicy.js';
export { ROUTE_HEADER } from './routeHeaders.js';
export {
  ESCALATION_RULES,
  type EscalationRule,
  type ResolveUpstream,
  type RoutePolicies,
  type RoutePolicy,
  routePoliciesSchema,
  routePolicySchema,
  upstreamResolver,
} from './routePolicies.js';
