import { DEPLOYMENTS, type Deployment, OPERATIONS, type Operation, type UsageEvent } from '../core/index.js';
import {
  type Attributes,
  hasAnyKey,
  RESOURCE_FALLBACK_KEYS,
  readCount,
  readString,
  TAG_ATTRIBUTE_KEYS,
  TAG_COPY_KEYS,
  toAttributes,
  USAGE_ATTRIBUTE_KEYS,
} from './attributes.js';
import { normalizeProvider } from './providers.js';
import type { OtlpSpan, OtlpTraceRequest } from './request.js';

export interface SpansToEventsResult {
  /** One event per span that stands for one model call, in the order the spans arrived. */
  events: UsageEvent[];
  /**
   * GenAI spans deliberately not turned into events: aggregates whose usage a descendant already
   * carries (see {@link spansToEvents}), and spans naming a model or tokens but lacking the other.
   * Spans with no GenAI attributes at all (HTTP, database, tool spans) are not counted.
   */
  skipped: number;
}

/** Vercel AI SDK operations (`ai.operationId` without its `.doGenerate`-style suffix) → operation. */
const VERCEL_OPERATIONS: ReadonlyMap<string, Operation> = new Map([
  ['ai.generateText', 'chat'],
  ['ai.streamText', 'chat'],
  ['ai.generateObject', 'chat'],
  ['ai.streamObject', 'chat'],
  ['ai.embed', 'embeddings'],
  ['ai.embedMany', 'embeddings'],
]);

/** `gen_ai.operation.name` / `llm.request.type` values outside Greenprint's list → operation. */
const OPERATION_ALIASES: ReadonlyMap<string, Operation> = new Map([
  ['generate_content', 'chat'],
  ['completion', 'text_completion'],
  ['embedding', 'embeddings'],
]);

/** A Vercel AI SDK wrapper span: `ai.generateText`, `ai.streamText`, … (no `.doX` provider-call suffix). */
const VERCEL_WRAPPER = /^ai\.[A-Za-z]+$/;
/** A Vercel AI SDK provider-call span: `ai.generateText.doGenerate`, `ai.streamText.doStream`, `ai.embed.doEmbed`. */
const VERCEL_PROVIDER_CALL = /^(ai\.[A-Za-z]+)\.do[A-Z][A-Za-z]*$/;

const MODEL_KEYS = [...USAGE_ATTRIBUTE_KEYS.requestModel, ...USAGE_ATTRIBUTE_KEYS.responseModel];
const TOKEN_KEYS = [
  ...USAGE_ATTRIBUTE_KEYS.inputTokens,
  ...USAGE_ATTRIBUTE_KEYS.outputTokens,
  ...USAGE_ATTRIBUTE_KEYS.totalTokens,
];

interface Candidate {
  key: string;
  event: UsageEvent;
}

/**
 * Turns the GenAI spans of an OTLP trace export into usage events, one per model call.
 *
 * A span is a model call when it names a model and carries input or output tokens, in any of the
 * conventions listed in `USAGE_ATTRIBUTE_KEYS` (OpenTelemetry GenAI, Vercel AI SDK, OpenLLMetry,
 * OpenLIT, OpenInference). The event id is `otel_<traceId>_<spanId>`, so a retried export is a
 * duplicate in the ledger rather than a second call.
 *
 * Double counting: wrappers often repeat the usage of the calls they contain. Two rules keep only
 * the innermost spans:
 * 1. Vercel AI SDK wrapper spans (`ai.generateText`, `ai.streamText`, `ai.generateObject`,
 *    `ai.streamObject`, `ai.embed`, `ai.embedMany`) never count: the SDK always emits a provider-call
 *    child (`*.doGenerate`, `*.doStream`, `*.doEmbed`) per step with that step's usage. Decided by the
 *    name alone, so it holds when parent and child arrive in different exports (SimpleSpanProcessor).
 * 2. Any other span with usage is dropped when a descendant in the same trace, within this export,
 *    also has usage (agent, workflow or framework spans summing their model calls). The walk goes
 *    through spans without usage, so a tool span between agent and model call does not hide it.
 *    Spans of one trace split over two exports cannot be compared; rule 2 then keeps both.
 */
export function spansToEvents(request: OtlpTraceRequest): SpansToEventsResult {
  const parents = new Map<string, string | undefined>();
  const candidates: Candidate[] = [];
  let skipped = 0;

  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = toAttributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const traceId = span.traceId.toLowerCase();
        const spanId = span.spanId.toLowerCase();
        const key = `${traceId}/${spanId}`;
        const seen = parents.has(key);
        if (!seen)
          parents.set(key, span.parentSpanId ? `${traceId}/${span.parentSpanId.toLowerCase()}` : undefined);

        const attrs = toAttributes(span.attributes);
        if (!hasAnyKey(attrs, MODEL_KEYS) && !hasAnyKey(attrs, TOKEN_KEYS)) continue;
        const vercelOp = readString(attrs, ['ai.operationId']) ?? span.name ?? '';
        const event = seen || VERCEL_WRAPPER.test(vercelOp) ? undefined : toEvent(span, attrs, resource);
        if (event) candidates.push({ key, event });
        else skipped++;
      }
    }
  }

  const withUsage = new Set(candidates.map((c) => c.key));
  const aggregates = new Set<string>();
  for (const { key } of candidates) {
    let parent = parents.get(key);
    // The step limit guards against a malformed export whose parent links form a cycle.
    for (let steps = 0; parent !== undefined && steps < parents.size; steps++) {
      if (withUsage.has(parent)) aggregates.add(parent);
      parent = parents.get(parent);
    }
  }
  const events = candidates.filter((c) => !aggregates.has(c.key)).map((c) => c.event);
  return { events, skipped: skipped + aggregates.size };
}

function toEvent(span: OtlpSpan, attrs: Attributes, resource: Attributes): UsageEvent | undefined {
  const k = USAGE_ATTRIBUTE_KEYS;
  const requestModel = readString(attrs, k.requestModel);
  if (!requestModel) return undefined;
  const operation = operationOf(span, attrs);
  let inputTokens = readCount(attrs, k.inputTokens);
  const outputTokens = readCount(attrs, k.outputTokens);
  // An embedding's tokens are all input, so a lone total is exact there (and a guess anywhere else).
  if (inputTokens === undefined && operation === 'embeddings') inputTokens = readCount(attrs, k.totalTokens);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;

  const event: UsageEvent = {
    id: `otel_${span.traceId.toLowerCase()}_${span.spanId.toLowerCase()}`,
    requestModel,
  };
  if (operation) event.operation = operation;
  const provider = readString(attrs, k.provider);
  if (provider) event.provider = normalizeProvider(provider);
  const responseModel = readString(attrs, k.responseModel);
  if (responseModel) event.responseModel = responseModel;
  if (inputTokens !== undefined) event.inputTokens = inputTokens;
  if (outputTokens !== undefined) event.outputTokens = outputTokens;
  const cached = readCount(attrs, k.cachedInputTokens);
  if (cached !== undefined) event.cachedInputTokens = cached;
  const reasoning = readCount(attrs, k.reasoningTokens);
  if (reasoning !== undefined) event.reasoningTokens = reasoning;

  const start = nanos(span.startTimeUnixNano);
  const end = nanos(span.endTimeUnixNano);
  if (start !== undefined) {
    const date = new Date(Number(start / 1_000_000n));
    if (Number.isFinite(date.getTime())) event.startTime = date.toISOString();
    if (end !== undefined && end >= start) event.durationMs = Number((end - start) / 1_000n) / 1_000;
  }

  for (const [field, keys] of Object.entries(TAG_ATTRIBUTE_KEYS) as [
    keyof typeof TAG_ATTRIBUTE_KEYS,
    readonly string[],
  ][]) {
    const value = readString(attrs, keys) ?? readString(resource, keys);
    if (value) event[field] = value;
  }
  if (!event.project) {
    const service = readString(resource, RESOURCE_FALLBACK_KEYS.project);
    // The SDK's default `unknown_service:node` names no project.
    if (service && !service.startsWith('unknown_service')) event.project = service;
  }
  const deployment =
    readString(attrs, ['greenprint.deployment']) ?? readString(resource, ['greenprint.deployment']);
  if (deployment && (DEPLOYMENTS as readonly string[]).includes(deployment))
    event.deployment = deployment as Deployment;

  const tags: Record<string, string> = {};
  for (const [tag, keys] of Object.entries(TAG_COPY_KEYS)) {
    const value = readString(attrs, keys) ?? readString(resource, keys);
    if (value) tags[tag] = value;
  }
  if (Object.keys(tags).length > 0) event.tags = tags;
  return event;
}

function operationOf(span: OtlpSpan, attrs: Attributes): Operation | undefined {
  const named = readString(attrs, USAGE_ATTRIBUTE_KEYS.operation)?.toLowerCase();
  if (named) {
    if ((OPERATIONS as readonly string[]).includes(named)) return named as Operation;
    const alias = OPERATION_ALIASES.get(named);
    if (alias) return alias;
  }
  const vercel = VERCEL_PROVIDER_CALL.exec(readString(attrs, ['ai.operationId']) ?? span.name ?? '');
  if (vercel?.[1]) return VERCEL_OPERATIONS.get(vercel[1]);
  if (readString(attrs, ['openinference.span.kind']) === 'EMBEDDING') return 'embeddings';
  return undefined;
}

/** Nanoseconds since the epoch; undefined when absent, zero or not a whole number. */
function nanos(value: string | number | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? Math.trunc(value).toString() : '') : value;
  if (!/^\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > 0n ? n : undefined;
}
