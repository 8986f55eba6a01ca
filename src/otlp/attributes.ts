import type { OtlpAnyValue, OtlpKeyValue } from './request.js';

/** An attribute value after decoding: int64 beyond 2^53 stays a decimal string. */
export type AttributeValue = string | number | boolean | AttributeValue[];

export type Attributes = ReadonlyMap<string, AttributeValue>;

/**
 * Where each usage field is read from, first match wins. The order puts the OpenTelemetry GenAI
 * semantic conventions first, then their older names, then the Vercel AI SDK's own `ai.*` attributes,
 * then OpenLLMetry (`llm.usage.*`) and OpenInference (`llm.token_count.*`). OpenLIT writes `gen_ai.*`.
 */
export const USAGE_ATTRIBUTE_KEYS = {
  requestModel: [
    'gen_ai.request.model',
    'ai.model.id',
    'llm.request.model',
    'llm.model_name',
    // Some instrumentations only know the model the provider answered with.
    'gen_ai.response.model',
    'ai.response.model',
    'llm.response.model',
  ],
  responseModel: ['gen_ai.response.model', 'ai.response.model', 'llm.response.model'],
  provider: [
    'gen_ai.provider.name',
    'gen_ai.system',
    'ai.model.provider',
    'llm.provider',
    'llm.system',
    'llm.vendor',
  ],
  operation: ['gen_ai.operation.name', 'llm.request.type'],
  inputTokens: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
    'llm.usage.input_tokens',
    'llm.usage.prompt_tokens',
    'llm.token_count.prompt',
  ],
  outputTokens: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'llm.usage.output_tokens',
    'llm.usage.completion_tokens',
    'llm.token_count.completion',
  ],
  /** Only used for embeddings, where every token is an input token. */
  totalTokens: [
    'gen_ai.usage.total_tokens',
    'ai.usage.tokens',
    'ai.usage.totalTokens',
    'llm.usage.total_tokens',
    'llm.token_count.total',
  ],
  cachedInputTokens: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'gen_ai.usage.cached_tokens',
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.prompt_tokens_details.cache_read',
    'ai.usage.cachedInputTokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'llm.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
  ],
  reasoningTokens: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'gen_ai.usage.output_tokens.reasoning',
    'gen_ai.usage.completion_tokens_details.reasoning',
    'ai.usage.reasoningTokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'llm.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
  ],
} as const;

/** Greenprint grouping fields; the span wins over its resource, explicit keys over fallbacks. */
export const TAG_ATTRIBUTE_KEYS = {
  project: ['greenprint.project', 'ai.telemetry.metadata.project'],
  pipeline: ['greenprint.pipeline', 'ai.telemetry.metadata.pipeline'],
  stage: ['greenprint.stage', 'ai.telemetry.metadata.stage'],
  run: ['greenprint.run', 'ai.telemetry.metadata.run'],
  team: ['greenprint.team', 'ai.telemetry.metadata.team'],
  region: ['greenprint.region', 'ai.telemetry.metadata.region'],
} as const;

/** Resource-only fallbacks, used when neither span nor resource names the field explicitly. */
export const RESOURCE_FALLBACK_KEYS = { project: ['service.name'] } as const;

/** Copied into `tags` under the first key. */
export const TAG_COPY_KEYS = {
  'deployment.environment': ['deployment.environment.name', 'deployment.environment'],
} as const;

function decodeValue(value: OtlpAnyValue | undefined): AttributeValue | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) {
    const items = (value.arrayValue.values ?? []).map(decodeValue);
    return items.filter((v): v is AttributeValue => v !== undefined);
  }
  return undefined;
}

/** Flattens OTLP key-value pairs into a map; key-value lists and bytes are not needed and dropped. */
export function toAttributes(list: readonly OtlpKeyValue[] | undefined): Map<string, AttributeValue> {
  const out = new Map<string, AttributeValue>();
  for (const kv of list ?? []) {
    const v = decodeValue(kv.value);
    if (v !== undefined) out.set(kv.key, v);
  }
  return out;
}

/** First non-empty scalar under `keys`, as a string (metadata may be numbers or booleans). */
export function readString(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = attrs.get(key);
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return undefined;
}

/** First non-negative whole number under `keys`; integral doubles and digit strings count too. */
export function readCount(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const v = attrs.get(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= 0) return n;
  }
  return undefined;
}

/** True when any key under one of the prefixes is present. */
export function hasAnyKey(attrs: Attributes, keys: readonly string[]): boolean {
  return keys.some((k) => attrs.has(k));
}
