import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { DEPLOYMENTS, GreenprintError } from '../core/index.js';
import { DEFAULT_FORECASTER, FORECASTER_NAMES } from '../scheduler/forecast/forecasterNamed.js';
import { routePoliciesSchema } from './policies/routePolicies.js';

const upstreamSchema = z
  .object({
    /** Name used in logs, headers and the ledger (`upstream`). */
    name: z.string().min(1),
    /** Wire protocol: OpenAI-compatible (/v1/chat/completions …) or Anthropic (/v1/messages). */
    kind: z.enum(['openai', 'anthropic']).default('openai'),
    /** Base URL including the version path, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1. */
    baseUrl: z.string().url(),
    /** Environment variable holding the upstream API key; the key itself never appears in config. */
    apiKeyEnv: z.string().min(1).optional(),
    /** Footprint provider id (openai, anthropic, mistralai, google_genai, self_hosted, …). */
    provider: z.string().min(1),
    /** Grid zone or cloud region of the upstream's data centre. */
    region: z.string().min(1).optional(),
    deployment: z.enum(DEPLOYMENTS).default('managed_api'),
    /** Models this upstream serves; '*' for any. */
    models: z.array(z.string().min(1)).default(['*']),
    timeoutMs: z.number().int().positive().default(120_000),
  })
  .strict();

const keySchema = z
  .object({
    id: z.string().min(1),
    /** SHA-256 of the key, lower-case hex: keys are stored hashed, never in clear. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (sha256 of the key)'),
    project: z.string().min(1),
    role: z.enum(['read', 'admin']).default('read'),
  })
  .strict();

export const gatewayConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8787),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(20 * 1024 * 1024),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8787, maxBodyBytes: 20 * 1024 * 1024 }),
    upstreams: z.array(upstreamSchema).default([]),
    keys: z.array(keySchema).default([]),
    /** Requested model → model actually called. */
    aliases: z.record(z.string(), z.string()).default({}),
    /** Per-model routing: retries, fallbacks and cascades (first matching entry applies). */
    routes: routePoliciesSchema.default([]),
    /** Exact response cache for deterministic requests (temperature 0, or opted in per request). */
    cache: z
      .object({
        enabled: z.boolean().default(false),
        ttlSeconds: z.number().int().positive().default(3600),
        /** In-process LRU size; ignored when `redis` is set (the cache is then shared by every replica). */
        maxEntries: z.number().int().positive().default(10_000),
      })
      .strict()
      .default({ enabled: false, ttlSeconds: 3600, maxEntries: 10_000 }),
    /** Shared state across gateway replicas (cache, budgets); in-process when absent. */
    redis: z
      .object({ url: z.string().min(1), prefix: z.string().default('greenprint:') })
      .strict()
      .optional(),
    /** Carbon and cost budgets per project and period; a request that would exceed one gets 429. */
    budgets: z
      .array(
        z
          .object({
            name: z.string().min(1),
            project: z.string().min(1),
            period: z.enum(['hour', 'day', 'week', 'month']),
            /** Location-based gCO2e (facility boundary) per period. */
            gco2e: z.number().positive().optional(),
            usd: z.number().positive().optional(),
          })
          .strict()
          .refine((b) => b.gco2e !== undefined || b.usd !== undefined, 'a budget needs gco2e, usd or both'),
      )
      .default([]),
    /** Lean-prompt limits per model (glob) and optionally per project, counted with real tokenizers. */
    limits: z
      .array(
        z
          .object({
            match: z.string().min(1),
            project: z.string().min(1).optional(),
            maxInputTokens: z.number().int().positive().optional(),
            maxOutputTokens: z.number().int().positive().optional(),
            /** cap: lower the request's max tokens to the limit; reject: answer 400. */
            outputMode: z.enum(['cap', 'reject']).default('cap'),
            /** Input plus requested output must fit. */
            maxContextTokens: z.number().int().positive().optional(),
          })
          .strict(),
      )
      .default([]),
    /** Where accepted events wait for the ledger (append-only JSONL). */
    spool: z.string().default('./.greenprint/spool.jsonl'),
    /** The Batch API's carbon-aware scheduler (see src/scheduler/configuredSignals.ts). */
    scheduler: z
      .object({
        /** SQLite path or redis:// URL; default GREENPRINT_QUEUE_URL, else ./.greenprint/queue.db. */
        queue: z.string().min(1).optional(),
        /** Requests of one batch in flight at once. */
        concurrency: z.number().int().positive().default(4),
        /** Expected seconds per request, to size a batch's run. */
        secondsPerRequest: z.number().positive().default(2),
        /** How the future is predicted where a provider publishes no forecast. */
        forecaster: z.enum(FORECASTER_NAMES).default(DEFAULT_FORECASTER),
        /** One signal per grid zone; none: the shipped 2024 sample traces, replayed onto today. */
        signals: z
          .array(
            z
              .object({
                zone: z.string().min(1),
                provider: z.enum(['uk-carbon-intensity', 'electricitymaps', 'watttime', 'trace']),
                /** `trace`: the CSV file. */
                path: z.string().min(1).optional(),
                /** `watttime`: its region code (e.g. CAISO_NORTH). */
                region: z.string().min(1).optional(),
              })
              .strict()
              .refine((s) => s.provider !== 'trace' || s.path, 'a trace signal needs path')
              .refine((s) => s.provider !== 'watttime' || s.region, 'a watttime signal needs region'),
          )
          .default([]),
      })
      .strict()
      .default({ concurrency: 4, secondsPerRequest: 2, forecaster: DEFAULT_FORECASTER, signals: [] }),
  })
  .strict();

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type UpstreamConfig = GatewayConfig['upstreams'][number];

export const CONFIG_ENV = 'GREENPRINT_CONFIG';
export const DEFAULT_CONFIG_PATH = './greenprint.yaml';

/**
 * Reads greenprint.yaml once at start-up: the explicit path (`--config`), then GREENPRINT_CONFIG,
 * then ./greenprint.yaml when it exists; with none, a gateway with no upstreams.
 */
export function loadGatewayConfig(path?: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const chosen = path ?? env[CONFIG_ENV];
  let text: string | undefined;
  const file = chosen ?? DEFAULT_CONFIG_PATH;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (chosen) {
      throw new GreenprintError(
        'invalid_input',
        `Cannot read the gateway config "${file}" (--config or ${CONFIG_ENV}).`,
      );
    }
  }
  return parseGatewayConfig(text === undefined ? {} : YAML.parse(text), file);
}

export function parseGatewayConfig(raw: unknown, where = 'config'): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GreenprintError('invalid_input', `Invalid gateway config ${where}: ${problems.join('; ')}.`, {
      problems,
    });
  }
  return parsed.data;
}
