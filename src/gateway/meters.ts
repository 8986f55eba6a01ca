import type { UsageEvent } from '../core/index.js';
import type { GatewayCall } from './policy.js';

/** What one call did, as far as the request and response tell: the measured part of a UsageEvent. */
export type Units = Pick<
  UsageEvent,
  | 'responseModel'
  | 'inputTokens'
  | 'outputTokens'
  | 'cachedInputTokens'
  | 'reasoningTokens'
  | 'images'
  | 'audio'
>;

/** How an endpoint's usage is read. Each method answers undefined when the call reports no usage. */
export interface Meter {
  /** Units known from the request alone (speech): the response body then streams through unread. */
  fromRequest?(call: GatewayCall): Units | undefined;
  /** Units from a complete JSON response. */
  fromResponse?(response: unknown, call: GatewayCall): Units | undefined;
  /** A fresh accumulator for one server-sent-events response. */
  stream?(call: GatewayCall): StreamMeter;
}

export interface StreamMeter {
  /** Sees one `data:` payload parsed as JSON; answers false to keep the event from the client. */
  see(data: unknown, event: string | undefined): boolean;
  /** The units seen so far. */
  units(): Units | undefined;
}

/** OpenAI chat and text completions: `usage` with cached and reasoning tokens in the details. */
export const openAITokensMeter: Meter = {
  fromResponse: (response) =>
    isRecord(response) ? withModel(openAIUsage(response.usage), response) : undefined,
  stream(call) {
    let units: Units | undefined;
    let model: string | undefined;
    return {
      see(data) {
        if (!isRecord(data)) return true;
        model ??= text(data.model);
        const usage = openAIUsage(data.usage);
        if (!usage) return true;
        units = usage;
        // The usage-only chunk (`choices: []`) exists because the gateway asked for it: not the client's.
        const usageOnly = Array.isArray(data.choices) && data.choices.length === 0;
        return !(usageOnly && call.hideUsageChunk);
      },
      units: () => (units ? { ...units, ...(model ? { responseModel: model } : {}) } : undefined),
    };
  },
};

export const embeddingsMeter: Meter = {
  fromResponse(response) {
    if (!isRecord(response) || !isRecord(response.usage)) return undefined;
    const input = count(response.usage.prompt_tokens);
    return input === undefined ? undefined : withModel({ inputTokens: input }, response);
  },
};

/** Images: how many came back (else the request's `n`), at the request's `size`; steps left to the model. */
export const imagesMeter: Meter = {
  fromResponse(response, call) {
    const data = isRecord(response) ? response.data : undefined;
    const n = Array.isArray(data) ? data.length : (count(call.json?.n) ?? 1);
    if (n < 1) return undefined;
    const size = text(call.json?.size)?.match(/^(\d+)x(\d+)$/);
    const [width, height] = size ? [Number(size[1]), Number(size[2])] : [];
    return {
      images: { count: n, ...(width && height ? { width, height } : {}) },
      ...(isRecord(response) ? withModel({}, response) : {}),
    };
  },
};

/** Speech: the characters of `input`; the audio streams back unread. */
export const speechMeter: Meter = {
  fromRequest(call) {
    const characters = text(call.json?.input)?.length ?? 0;
    return characters > 0 ? { audio: { characters } } : undefined;
  },
};

/**
 * Transcriptions: the audio length, from `usage.seconds` (`type: duration`) or verbose_json's
 * `duration`. Without either (text, srt, vtt, or token-billed usage alone) the call is unmetered:
 * the estimator needs seconds and the gateway does not decode audio to guess them.
 */
export const transcriptionMeter: Meter = {
  fromResponse(response) {
    if (!isRecord(response)) return undefined;
    const usage = isRecord(response.usage) ? response.usage : {};
    const seconds =
      (usage.type === 'duration' ? positive(usage.seconds) : undefined) ?? positive(response.duration);
    if (seconds === undefined) return undefined;
    const output = usage.type === 'tokens' ? count(usage.output_tokens) : undefined;
    return withModel(
      { audio: { seconds }, ...(output !== undefined ? { outputTokens: output } : {}) },
      response,
    );
  },
};

/**
 * Anthropic messages. Anthropic's `input_tokens` excludes cache reads and writes; the event's
 * `inputTokens` includes them, with the reads as `cachedInputTokens`.
 */
export const anthropicMeter: Meter = {
  fromResponse: (response) =>
    isRecord(response) ? withModel(anthropicUnits(anthropicCounts({}, response.usage)), response) : undefined,
  stream() {
    let counts: AnthropicCounts = {};
    let model: string | undefined;
    return {
      see(data) {
        if (!isRecord(data)) return true;
        if (data.type === 'message_start' && isRecord(data.message)) {
          model ??= text(data.message.model);
          counts = anthropicCounts(counts, data.message.usage);
        } else if (data.type === 'message_delta') {
          // Cumulative: a field present here replaces the one from message_start.
          counts = anthropicCounts(counts, data.usage);
        }
        return true;
      },
      units() {
        const units = anthropicUnits(counts);
        return units && model ? { ...units, responseModel: model } : units;
      },
    };
  },
};

interface AnthropicCounts {
  input?: number;
  cacheRead?: number;
  cacheWrite?: number;
  output?: number;
}

function anthropicCounts(prior: AnthropicCounts, usage: unknown): AnthropicCounts {
  if (!isRecord(usage)) return prior;
  const next = { ...prior };
  const set = (key: keyof AnthropicCounts, value: unknown) => {
    const n = count(value);
    if (n !== undefined) next[key] = n;
  };
  set('input', usage.input_tokens);
  set('cacheRead', usage.cache_read_input_tokens);
  set('cacheWrite', usage.cache_creation_input_tokens);
  set('output', usage.output_tokens);
  return next;
}

function anthropicUnits(c: AnthropicCounts): Units | undefined {
  if (c.input === undefined && c.output === undefined) return undefined;
  return {
    inputTokens: (c.input ?? 0) + (c.cacheRead ?? 0) + (c.cacheWrite ?? 0),
    ...(c.cacheRead !== undefined ? { cachedInputTokens: c.cacheRead } : {}),
    ...(c.output !== undefined ? { outputTokens: c.output } : {}),
  };
}

function openAIUsage(usage: unknown): Units | undefined {
  if (!isRecord(usage)) return undefined;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  if (input === undefined && output === undefined) return undefined;
  // Built field by field rather than spread: this runs for every metered call.
  const units: Units = {};
  if (input !== undefined) units.inputTokens = input;
  if (output !== undefined) units.outputTokens = output;
  const prompt = usage.prompt_tokens_details;
  const cached = isRecord(prompt) ? count(prompt.cached_tokens) : undefined;
  if (cached !== undefined) units.cachedInputTokens = cached;
  const completion = usage.completion_tokens_details;
  const reasoning = isRecord(completion) ? count(completion.reasoning_tokens) : undefined;
  if (reasoning !== undefined) units.reasoningTokens = reasoning;
  return units;
}

/** `units` with the answer's `model` as `responseModel`, when it names one. */
function withModel(units: Units | undefined, response: Record<string, unknown>): Units | undefined {
  const model = text(response.model);
  if (units && model) units.responseModel = model;
  return units;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function count(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : undefined;
}

function positive(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined;
}

function text(x: unknown): string | undefined {
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}
