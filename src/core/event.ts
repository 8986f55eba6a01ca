import { z } from 'zod';

/** Operations, named as in the OpenTelemetry GenAI conventions (`gen_ai.operation.name`) plus media ones. */
export const OPERATIONS = [
  'chat',
  'text_completion',
  'embeddings',
  'image_generation',
  'image_edit',
  'audio_speech',
  'audio_transcription',
  'music_generation',
  'video_generation',
  'fine_tuning',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const DEPLOYMENTS = ['managed_api', 'self_hosted', 'rented_gpu'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

export const PRECISIONS = ['bf16', 'fp8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const BOUNDARIES = ['gpu', 'server', 'facility'] as const;
export type Boundary = (typeof BOUNDARIES)[number];

const count = z.number().int().nonnegative();
const positive = z.number().positive();

export const usageEventSchema = z
  .object({
    id: z.string().min(1).optional(),
    /** Inferred from the model's modality when absent. */
    operation: z.enum(OPERATIONS).optional(),
    /** `gen_ai.provider.name`, e.g. openai, anthropic, google_genai, mistralai, huggingface_hub. */
    provider: z.string().min(1).optional(),
    /** `gen_ai.request.model`. */
    requestModel: z.string().min(1),
    /** `gen_ai.response.model`, when the provider answered with a more specific id. */
    responseModel: z.string().min(1).optional(),
    /** `gen_ai.usage.input_tokens`, including cached ones. */
    inputTokens: count.optional(),
    /** `gen_ai.usage.output_tokens`, including reasoning ones. */
    outputTokens: count.optional(),
    /** Input tokens served from the provider's prompt cache (a subset of inputTokens). */
    cachedInputTokens: count.optional(),
    /** Reasoning tokens (a subset of outputTokens, counted as output). */
    reasoningTokens: count.optional(),
    images: z
      .object({
        count: z.number().int().positive(),
        width: positive.optional(),
        height: positive.optional(),
        steps: z.number().int().positive().optional(),
      })
      .optional(),
    audio: z
      .object({ seconds: positive.optional(), characters: z.number().int().positive().optional() })
      .optional(),
    video: z
      .object({
        seconds: positive,
        width: positive.optional(),
        height: positive.optional(),
        fps: positive.optional(),
        steps: z.number().int().positive().optional(),
      })
      .optional(),
    /** Calls this event stands for (aggregated usage exports and invoices); default 1. Energy is linear in tokens, so totals stay right. */
    requests: z.number().int().positive().optional(),
    /** ISO-8601 start time; selects the hour in an hourly grid trace. */
    startTime: z.string().datetime({ offset: true }).optional(),
    durationMs: z.number().nonnegative().optional(),
    /** Grid zone: Electricity Maps zone (DE, US-CAL-CISO), ISO 3166 alpha-2/alpha-3, or a cloud region (us-east-1). */
    region: z.string().min(1).optional(),
    deployment: z.enum(DEPLOYMENTS).optional(),
    /** Serving hardware, when known (self-hosted or rented GPU). */
    hardware: z
      .object({
        gpu: z.string().min(1).optional(),
        gpuCount: z.number().int().positive().optional(),
        batchSize: z.number().int().positive().optional(),
        precision: z.enum(PRECISIONS).optional(),
      })
      .optional(),
    /** Energy measured by the caller (e.g. with NVML or a power meter), and the boundary it covers. */
    measuredEnergy: z.object({ wh: z.number().nonnegative(), boundary: z.enum(BOUNDARIES) }).optional(),
    /** Market-based factor from the supplier contract, gCO2e/kWh (GHG Protocol Scope 2 guidance). */
    marketFactorGPerKwh: z.number().nonnegative().optional(),
    organisation: z.string().optional(),
    project: z.string().optional(),
    pipeline: z.string().optional(),
    stage: z.string().optional(),
    run: z.string().optional(),
    team: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type UsageEvent = z.input<typeof usageEventSchema>;
export type ParsedUsageEvent = z.output<typeof usageEventSchema>;
