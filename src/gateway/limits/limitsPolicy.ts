import type { GatewayConfig } from '../config.js';
import { withHeaders } from '../policies/routeHeaders.js';
import { globPattern } from '../policies/routePolicies.js';
import type { GatewayCall, GatewayPolicy } from '../policy.js';
import { countInputTokens, type InputTokenCount } from './countInputTokens.js';
import { LIMIT_HEADER, type LimitErrorCode, limitErrorResponse } from './limitError.js';
import { setJsonFields } from './setJsonFields.js';

/** One entry of `limits:` in greenprint.yaml. */
export type LimitRule = GatewayConfig['limits'][number];

/** The request fields that bound a route's output, and the one to add when a request has none. */
interface OutputFields {
  names: readonly string[];
  added: string;
}

const OUTPUT_FIELDS: Partial<Record<string, OutputFields>> = {
  '/v1/chat/completions': { names: ['max_completion_tokens', 'max_tokens'], added: 'max_completion_tokens' },
  '/v1/completions': { names: ['max_tokens'], added: 'max_tokens' },
  '/v1/messages': { names: ['max_tokens'], added: 'max_tokens' },
};

/**
 * Lean-prompt limits from `limits:`. The first rule whose `match` glob fits the model sent upstream
 * (after aliases) and whose `project`, when set, is the caller's applies; calls with no such rule, and
 * routes without a token count (images, audio), pass untouched, byte for byte.
 *
 * In order:
 * - `maxInputTokens`: a longer input (see `countInputTokens`) gets 400 `input_too_long`;
 * - `maxOutputTokens`, `outputMode: cap`: `max_completion_tokens` / `max_tokens` above the limit (or
 *   absent: then `max_completion_tokens` for chat, `max_tokens` for completions and Anthropic) is set to
 *   it, and the answer carries `x-greenprint-limit: output capped to N`;
 *   `outputMode: reject`: a request asking for more, or setting no bound, gets 400 `output_too_long`;
 * - `maxContextTokens`: the longest input sequence plus the output bound (after any cap) above it gets
 *   400 `context_too_long`; a request without an output bound is checked on its input alone.
 * Embeddings have no output: only input and context apply.
 *
 * Rejections never reach the upstream. They are answered as a Response in the caller's protocol (OpenAI
 * `{error: {message, type: 'invalid_request_error', code, param: null}}`, or Anthropic's shape), with
 * `x-greenprint-limit: rejected: <code>`: GatewayError's code table has no such codes. Being a
 * Response, the gateway treats it like an upstream error and adds `x-greenprint-upstream-status: 400`.
 * A cap changes `call.json` and, in `call.body`, only the bounding fields' bytes.
 */
export function limitsPolicy(limits: readonly LimitRule[]): GatewayPolicy {
  const rules = limits.map((rule) => ({ rule, pattern: globPattern(rule.match) }));

  return async function limit(call, next) {
    const json = call.json;
    const rule = json
      ? rules.find(
          ({ rule, pattern }) =>
            pattern.test(call.model) &&
            (rule.project === undefined || rule.project === call.identity.project),
        )?.rule
      : undefined;
    if (!json || !rule) return next(call);
    const scope = `${call.model}${rule.project === undefined ? '' : ` in project "${rule.project}"`}`;
    const reject = (code: LimitErrorCode, message: string) =>
      limitErrorResponse(code, message, call.protocol);

    const counted =
      rule.maxInputTokens !== undefined || rule.maxContextTokens !== undefined
        ? countInputTokens(call)
        : undefined;
    if (counted && rule.maxInputTokens !== undefined && counted.tokens > rule.maxInputTokens) {
      return reject(
        'input_too_long',
        `The input is ${counted.tokens} tokens (${countedWith(counted)}), over the limit of ` +
          `${rule.maxInputTokens} input tokens for ${scope}. Send less: trim the prompt, summarise earlier ` +
          'context instead of resending it, or retrieve only the passages the request needs.',
      );
    }

    const fields = OUTPUT_FIELDS[call.path];
    const asked = fields ? requestedOutput(json, fields) : { tokens: undefined, field: undefined };
    let output = asked.tokens;
    let cap: Record<string, number> | undefined;
    if (fields && rule.maxOutputTokens !== undefined) {
      const max = rule.maxOutputTokens;
      if (rule.outputMode === 'reject') {
        if (asked.tokens === undefined) {
          return reject(
            'output_too_long',
            `The request sets no ${fields.names.join(' or ')}, so it may generate up to the model's maximum; ` +
              `the limit for ${scope} is ${max} output tokens. Set ${fields.added} to ${max} or less.`,
          );
        }
        if (asked.tokens > max) {
          return reject(
            'output_too_long',
            `The request asks for up to ${asked.tokens} output tokens (${asked.field}), over the limit of ` +
              `${max} for ${scope}. Set ${asked.field} to ${max} or less.`,
          );
        }
      } else {
        cap = capFields(json, fields, max);
        output = Math.min(asked.tokens ?? max, max);
      }
    }

    if (counted && rule.maxContextTokens !== undefined) {
      const total = counted.longestTokens + (output ?? 0);
      if (total > rule.maxContextTokens) {
        const field = asked.field ?? fields?.added;
        const needs =
          output === undefined
            ? `The input is ${counted.longestTokens} tokens`
            : `The input (${counted.longestTokens} tokens) plus the output bound (${output} tokens, ${field}) ` +
              `is ${total} tokens`;
        return reject(
          'context_too_long',
          `${needs} (${countedWith(counted)}), over the context limit of ${rule.maxContextTokens} tokens for ` +
            `${scope}. ${output === undefined ? 'Send' : `Lower ${field}, or send`} less input: trim the ` +
            'prompt, summarise earlier context, or retrieve only the passages the request needs.',
        );
      }
    }

    if (!cap) return next(call);
    applyFields(call, json, cap);
    const response = await next(call);
    return withHeaders(response, { [LIMIT_HEADER]: `output capped to ${rule.maxOutputTokens}` });
  };
}

/** The tightest numeric output bound the request sets, and its field; tokens undefined when it sets none. */
function requestedOutput(
  json: Record<string, unknown>,
  fields: OutputFields,
): { tokens: number | undefined; field: string | undefined } {
  let asked: { tokens: number | undefined; field: string | undefined } = {
    tokens: undefined,
    field: undefined,
  };
  for (const name of fields.names) {
    const value = json[name];
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (asked.tokens === undefined || value < asked.tokens)
    ) {
      asked = { tokens: value, field: name };
    }
  }
  return asked;
}

/**
 * The fields to set for a cap at `max`: each bounding field present above it (or not a number), or the
 * route's own field when the request has none; undefined when the request already fits.
 */
function capFields(
  json: Record<string, unknown>,
  fields: OutputFields,
  max: number,
): Record<string, number> | undefined {
  const present = fields.names.filter((name) => json[name] !== undefined);
  if (present.length === 0) return { [fields.added]: max };
  const over = present.filter((name) => {
    const value = json[name];
    return !(typeof value === 'number' && value <= max);
  });
  return over.length === 0 ? undefined : Object.fromEntries(over.map((name) => [name, max]));
}

/** Sets the fields in `call.json` and in `call.body`, keeping the client's other bytes where it can. */
function applyFields(call: GatewayCall, json: Record<string, unknown>, set: Record<string, number>): void {
  call.json = { ...json, ...set };
  call.body = setJsonFields(call.body, set) ?? new TextEncoder().encode(JSON.stringify(call.json));
}

function countedWith(counted: InputTokenCount): string {
  return counted.approximate ? `estimated with ${counted.tokenizer}` : `counted with ${counted.tokenizer}`;
}
