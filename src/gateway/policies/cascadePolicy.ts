import { isRecord } from '../meters.js';
import type { GatewayCall, GatewayPolicy } from '../policy.js';
import { parseJson, readAll } from '../readBody.js';
import { type EscalationCheck, escalationReason } from './escalationReason.js';
import { ROUTE_HEADER, withHeaders } from './routeHeaders.js';
import {
  type EscalationRule,
  type ResolveUpstream,
  type RoutePolicies,
  routeTable,
} from './routePolicies.js';
import { switchModel } from './switchModel.js';

/** Token usage of a cascade answer that was thrown away, as OpenAI reports it (null when it did not). */
export interface CascadeUsage {
  model: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The rule that made the cascade go on. */
  reason: EscalationRule;
}

/** A cascade answer that was computed, paid for in energy, and not returned. */
export interface DiscardedAttempt {
  /** A copy of the call as it was sent (model, upstream, body): what `usageEventOf` needs to meter it. */
  call: GatewayCall;
  /**
   * The call itself, which goes on to the next model: what the gateway's observers know the call by,
   * so that budgets charge the discarded answer to the request's reservation.
   */
  parent: GatewayCall;
  /** The parsed JSON answer, e.g. for `openAITokensMeter.fromResponse(answer, call)`. */
  answer: unknown;
  usage: CascadeUsage;
}

export interface CascadePolicyOptions {
  /** Finds the upstream of each cascade model; every one must resolve when the policy is created. */
  resolveUpstream: ResolveUpstream;
  /**
   * Called for each answer the cascade throws away, before the next model is called, so that its
   * energy can be recorded; must not throw.
   */
  onDiscarded?: (attempt: DiscardedAttempt) => void;
}

const CHAT_PATH = '/v1/chat/completions';

/**
 * Model cascades for non-streaming OpenAI chat completions whose model matches a route with `cascade`
 * (the first matching route applies; other calls pass untouched). The smallest model is called first;
 * its JSON answer is read and, when one of `escalateOn` fires (see `escalationReason`), the next model
 * gets the same request, and so on. The first adequate answer is returned, or the last model's
 * whatever it says. A non-2xx answer is returned as it is: failures are the fallback policy's
 * business (put it after this one so each step gets retries). Once the client has gone, the answer
 * in hand is returned rather than a larger model called.
 *
 * The response carries `x-greenprint-cascade` (the models called: `gpt-4o-mini>gpt-4o`),
 * `x-greenprint-route` (the model that answered) and, when answers were thrown away,
 * `x-greenprint-cascade-usage`: JSON `[{model, prompt_tokens, completion_tokens, reason}]`.
 *
 * Footprint: every model called consumes energy, but the gateway meters only the response a policy
 * returns, so the answers thrown away are NOT in the ledger unless recorded separately. Their usage is
 * exposed for that in `x-greenprint-cascade-usage` and, with the call as sent, in `onDiscarded`
 * (`createGateway` records each one as its own event and tells its observers, budgets included).
 */
export function cascadePolicy(routes: RoutePolicies, options: CascadePolicyOptions): GatewayPolicy {
  const table = routeTable(routes, options.resolveUpstream);

  return async function cascade(call, next) {
    const cascade = table.find(call)?.cascade;
    if (!cascade || call.path !== CHAT_PATH || call.stream || !call.json) return next(call);
    const kind = call.upstream.kind;
    const steps = cascade.models.flatMap((model) => {
      const upstream = options.resolveUpstream(model, kind);
      return upstream?.kind === kind ? [{ model, upstream }] : [];
    });
    // No cascade model is served over the call's protocol: the call goes as it came.
    if (steps.length === 0) return next(call);
    const check: EscalationCheck = {
      escalateOn: cascade.escalateOn,
      minChars: cascade.minChars,
      json: jsonExpected(call.json, cascade),
    };
    const path: string[] = [];
    const discarded: CascadeUsage[] = [];
    const label = (response: Response) =>
      withHeaders(response, {
        [ROUTE_HEADER.cascade]: path.join('>'),
        [ROUTE_HEADER.route]: call.model,
        ...(discarded.length > 0 ? { [ROUTE_HEADER.cascadeUsage]: JSON.stringify(discarded) } : {}),
      });

    for (const [index, { model, upstream }] of steps.entries()) {
      switchModel(call, model, upstream);
      const response = await next(call);
      // An inner policy (fallbacks) may have answered with another model.
      path.push(call.model);
      if (!response.ok || index === steps.length - 1) return label(response);
      const bytes = await readAll(response);
      const answer = parseJson(bytes);
      const kept = new Response(bytes, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      const reason = escalationReason(answer, check);
      if (!reason || call.signal.aborted) return label(kept);
      const usage = usageOf(call.model, answer, reason);
      discarded.push(usage);
      options.onDiscarded?.({ call: { ...call }, parent: call, answer, usage });
    }
    throw new Error('cascadePolicy: unreachable, the last step always answers');
  };
}

/** What `invalid_json` checks, or undefined when the answer need not be JSON. */
function jsonExpected(
  body: Record<string, unknown>,
  cascade: { escalateOn: readonly EscalationRule[]; jsonSchema?: { required?: string[] | undefined } },
): EscalationCheck['json'] {
  if (!cascade.escalateOn.includes('invalid_json')) return undefined;
  if (cascade.jsonSchema) return { required: cascade.jsonSchema.required ?? [] };
  const format = body.response_format;
  if (!isRecord(format)) return undefined;
  if (format.type === 'json_object') return { required: [] };
  if (format.type !== 'json_schema') return undefined;
  const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
  const required = isRecord(schema) && Array.isArray(schema.required) ? schema.required : [];
  return { required: required.filter((key): key is string => typeof key === 'string') };
}

function usageOf(model: string, answer: unknown, reason: EscalationRule): CascadeUsage {
  const usage = isRecord(answer) && isRecord(answer.usage) ? answer.usage : {};
  const count = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    model,
    prompt_tokens: count(usage.prompt_tokens),
    completion_tokens: count(usage.completion_tokens),
    reason,
  };
}
