import { z } from 'zod';
import { GreenprintError } from '../../core/index.js';
import type { GatewayConfig, UpstreamConfig } from '../config.js';
import type { GatewayCall } from '../policy.js';

/** What makes a cascade try its next, larger model. */
export const ESCALATION_RULES = ['refusal', 'invalid_json', 'length', 'too_short'] as const;
export type EscalationRule = (typeof ESCALATION_RULES)[number];

const DEFAULT_RETRIES = { attempts: 2, baseDelayMs: 200, maxDelayMs: 5000 };

const retriesSchema = z
  .object({
    /** Tries of each model, the first one included: 1 never retries. */
    attempts: z.number().int().min(1).max(10).default(DEFAULT_RETRIES.attempts),
    /** Backoff before the first retry, doubled for each later one, with jitter (ms). */
    baseDelayMs: z.number().int().min(0).default(DEFAULT_RETRIES.baseDelayMs),
    /** Longest wait between two tries, a Retry-After included (ms). */
    maxDelayMs: z.number().int().min(0).default(DEFAULT_RETRIES.maxDelayMs),
  })
  .strict()
  .refine((r) => r.maxDelayMs >= r.baseDelayMs, {
    message: 'maxDelayMs must be at least baseDelayMs',
    path: ['maxDelayMs'],
  });

const cascadeSchema = z
  .object({
    /** Models to try in turn, smallest first; the last one's answer is returned whatever it is. */
    models: z.array(z.string().min(1)).min(2, 'a cascade needs at least two models, smallest first'),
    escalateOn: z.array(z.enum(ESCALATION_RULES)).min(1),
    /** Answers shorter than this (characters, trimmed) escalate under `too_short`. */
    minChars: z.number().int().positive().optional(),
    /**
     * Answers must be JSON objects with these `required` top-level keys (`invalid_json`); the rest of
     * the schema is kept but not checked.
     */
    jsonSchema: z.looseObject({ required: z.array(z.string()).optional() }).optional(),
  })
  .strict()
  .refine((c) => !c.escalateOn.includes('too_short') || c.minChars !== undefined, {
    message: 'escalateOn "too_short" needs minChars',
    path: ['minChars'],
  });

/** One entry of `routes:` in greenprint.yaml. */
export const routePolicySchema = z
  .object({
    /** Model glob (`*` any characters, `?` one), matched against the requested model and its alias target. */
    match: z.string().min(1),
    /** Models to try in order once the route's model keeps failing; sent upstream as written (no aliases). */
    fallbacks: z.array(z.string().min(1)).default([]),
    retries: retriesSchema.default(DEFAULT_RETRIES),
    cascade: cascadeSchema.optional(),
  })
  .strict();

/** `routes:` in greenprint.yaml: the first entry whose `match` fits a call applies to it. */
export const routePoliciesSchema = z.array(routePolicySchema).default([]);

export type RoutePolicy = z.output<typeof routePolicySchema>;
export type RoutePolicies = readonly RoutePolicy[];

/**
 * The upstream serving `model` over the wire protocol `kind` (any kind when undefined), or undefined.
 * Fallback and cascade models are looked up with it; they are not aliases.
 */
export type ResolveUpstream = (model: string, kind?: UpstreamConfig['kind']) => UpstreamConfig | undefined;

/** A ResolveUpstream over the config: the first upstream listing the model, or '*', as routing does. */
export function upstreamResolver(config: Pick<GatewayConfig, 'upstreams'>): ResolveUpstream {
  return function resolveUpstream(model, kind) {
    return config.upstreams.find(
      (u) => (kind === undefined || u.kind === kind) && (u.models.includes(model) || u.models.includes('*')),
    );
  };
}

/** Routes with their globs compiled; `find` answers the first route matching the call. */
export interface RouteTable {
  find(call: Pick<GatewayCall, 'requestedModel' | 'model'>): RoutePolicy | undefined;
}

/**
 * Compiles the routes once, and checks at start-up that every model they name has an upstream, so a
 * typo fails the gateway's start rather than the first failing call.
 */
export function routeTable(routes: RoutePolicies, resolveUpstream: ResolveUpstream): RouteTable {
  routes.forEach((route, i) => {
    const named = [
      ...route.fallbacks.map((model, j) => [`routes[${i}].fallbacks[${j}]`, model] as const),
      ...(route.cascade?.models ?? []).map(
        (model, j) => [`routes[${i}].cascade.models[${j}]`, model] as const,
      ),
    ];
    for (const [where, model] of named) {
      if (!resolveUpstream(model)) {
        throw new GreenprintError(
          'invalid_input',
          `${where}: no upstream serves the model "${model}". Add it to an upstream's \`models\` in the gateway config, or remove it from the route.`,
          { where, model },
        );
      }
    }
  });
  const compiled = routes.map((route) => ({ route, pattern: globPattern(route.match) }));
  return {
    find(call) {
      return compiled.find(({ pattern }) => pattern.test(call.requestedModel) || pattern.test(call.model))
        ?.route;
    },
  };
}

/** `gpt-4o*` → /^gpt-4o.*$/: `*` any characters, `?` one, everything else literal. */
export function globPattern(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${source}$`, 's');
}
