export { USAGE_ATTRIBUTE_KEYS } from './attributes.js';
export { decodeTraceRequest, encodeTraceResponse, type OtlpPartialSuccess } from './protobuf.js';
export { normalizeProvider } from './providers.js';
export {
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpResourceSpans,
  type OtlpScopeSpans,
  type OtlpSpan,
  type OtlpTraceRequest,
  parseOtlpTraceRequest,
} from './request.js';
export { DEFAULT_MAX_BODY_BYTES, type OtlpRoutesOptions, otlpRoutes } from './routes.js';
export { type SpansToEventsResult, spansToEvents } from './spansToEvents.js';
