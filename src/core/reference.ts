import { z } from 'zod';

/**
 * Schemas of the reference data Greenprint ships in `data/`. Core never reads files: a loader
 * outside core parses the files with these schemas and hands core a `ReferenceData` object.
 */

const paramsB = z.union([
  z.number().positive(),
  z.object({ min: z.number().positive(), max: z.number().positive() }),
]);
export type ParamsB = z.infer<typeof paramsB>;

const rangeSchema = z.object({
  low: z.number().nonnegative(),
  mid: z.number().nonnegative(),
  high: z.number().nonnegative(),
});
const sources = z.array(z.string().min(1)).min(1);

export const MODALITIES = [
  'text',
  'embedding',
  'image',
  'video',
  'speech',
  'transcription',
  'music',
] as const;
export type Modality = (typeof MODALITIES)[number];

export const modelRecordSchema = z
  .object({
    /** The provider's API id or the Hugging Face repo id. */
    id: z.string().min(1),
    provider: z.string().min(1),
    aliases: z.array(z.string()).default([]),
    modality: z.enum(MODALITIES),
    architecture: z.enum(['dense', 'moe', 'diffusion']),
    /** Billions of parameters; `{min,max}` where the provider has not published the size. */
    totalParamsB: paramsB,
    activeParamsB: paramsB,
    openWeights: z.boolean().default(false),
    /** Image and video diffusion models. */
    media: z
      .object({
        nativeWidth: z.number().positive(),
        nativeHeight: z.number().positive(),
        defaultSteps: z.number().int().positive(),
        /** Video only: frames per clip at the model's native setting, and its playback rate. */
        defaultFrames: z.number().int().positive().optional(),
        defaultFps: z.number().positive().optional(),
        /** Classifier-free guidance runs the denoiser twice per step. */
        guidance: z.boolean().default(true),
      })
      .optional(),
    /** Speech, transcription and music models: how audio maps onto tokens the model processes. */
    audio: z
      .object({
        /** Tokens the model generates per second of output audio (speech, music). */
        outputTokensPerSecond: z.number().positive().optional(),
        /** Tokens the encoder processes per second of input audio (transcription). */
        inputTokensPerSecond: z.number().positive().optional(),
        /** Transcript tokens per second of speech (transcription decoder output). */
        transcriptTokensPerSecond: z.number().positive().optional(),
      })
      .optional(),
    sources,
    warnings: z.array(z.string()).default([]),
  })
  .strict();
export type ModelRecord = z.output<typeof modelRecordSchema>;

export const modelCatalogFileSchema = z.object({ models: z.array(modelRecordSchema) });

/** EcoLogits' `models.json`, shipped unchanged (MPL-2.0) and normalised by `fromEcologits`. */
const ecologitsParams = z.union([z.number(), z.object({ min: z.number(), max: z.number() })]);
export const ecologitsFileSchema = z.object({
  aliases: z.array(z.object({ provider: z.string(), name: z.string(), alias: z.string() })),
  models: z.array(
    z.object({
      provider: z.string(),
      name: z.string(),
      architecture: z.object({
        type: z.enum(['dense', 'moe']),
        parameters: z.union([ecologitsParams, z.object({ total: ecologitsParams, active: ecologitsParams })]),
      }),
      warnings: z.array(z.string()).nullable(),
      sources: z.array(z.string()).nullable(),
    }),
  ),
});
export type EcologitsFile = z.infer<typeof ecologitsFileSchema>;

export const hardwareRecordSchema = z
  .object({
    id: z.string().min(1),
    aliases: z.array(z.string()).default([]),
    memoryGB: z.number().positive(),
    /** HBM bandwidth, TB/s. */
    bandwidthTBs: z.number().positive(),
    /** Board power limit (TDP), W. */
    tdpW: z.number().positive(),
    /** Dense tensor-core throughput, TFLOP/s. */
    bf16Tflops: z.number().positive(),
    /** Dense FP8 throughput; null where the GPU has no FP8 tensor cores. */
    fp8Tflops: z.number().positive().nullable(),
    /** Cradle-to-gate embodied carbon of one GPU module, kgCO2e. */
    embodiedKgCO2e: z.number().positive(),
    embodiedExtrapolated: z.boolean().default(false),
    sources,
  })
  .strict();
export type HardwareRecord = z.output<typeof hardwareRecordSchema>;

export const providerProfileSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    aliases: z.array(z.string()).default([]),
    pue: rangeSchema,
    /** On-site water usage effectiveness, L per kWh of IT energy. */
    wueOnsiteLPerKwh: rangeSchema,
    /** Grid zone used when an event names no region. */
    defaultRegion: z.string().min(1),
    /** GPU assumed for managed models of this provider. */
    defaultGpu: z.string().min(1),
    sources,
  })
  .strict();
export type ProviderProfile = z.output<typeof providerProfileSchema>;

export const cloudRegionSchema = z
  .object({
    id: z.string().min(1),
    cloud: z.string().min(1),
    zone: z.string().min(1),
    location: z.string().min(1),
    sources,
  })
  .strict();
export type CloudRegion = z.output<typeof cloudRegionSchema>;

export const referenceFileSchema = z.object({
  hardware: z.array(hardwareRecordSchema),
  providers: z.array(providerProfileSchema),
  cloudRegions: z.array(cloudRegionSchema),
});

/** Fitted coefficients of the text decode model for one measured GPU (see docs/methodology.md). */
export const textFitSchema = z.object({
  gpu: z.string(),
  /** J per output token per billion active parameters. */
  computeJPerTokenPerB: z.number().nonnegative(),
  /** J per GB of weights streamed per decode step (shared by the batch). */
  weightsJPerGB: z.number().nonnegative(),
  /** J per output token per GPU in the tensor-parallel group. */
  perGpuJPerToken: z.number().nonnegative(),
  /** Quantiles of measured / fitted over the fitting rows: the band of the range. */
  band: z.object({ low: z.number().positive(), high: z.number().positive() }),
  rows: z.number().int().positive(),
  medianAbsLog10: z.number().nonnegative(),
});
export type TextFit = z.infer<typeof textFitSchema>;

/** Fitted coefficients of the diffusion model for one measured GPU. */
export const diffusionFitSchema = z.object({
  gpu: z.string(),
  /** Multiplier on the per-model step energy (which is stated for H100). */
  gpuFactor: z.number().positive(),
  /** Fixed J per denoising step per batch, shared by the images in the batch. */
  batchOverheadJPerStep: z.number().nonnegative(),
  band: z.object({ low: z.number().positive(), high: z.number().positive() }),
  rows: z.number().int().positive(),
  medianAbsLog10: z.number().nonnegative(),
});
export type DiffusionFit = z.infer<typeof diffusionFitSchema>;

export const coefficientsFileSchema = z.object({
  version: z.string(),
  fittedOn: z.string(),
  source: z.string(),
  assumptions: z.record(z.string(), z.union([z.number(), z.string()])),
  text: z.array(textFitSchema),
  diffusion: z.array(diffusionFitSchema),
  /** Per-model step energy on H100 at native resolution (J per image or frame per step), fitted. */
  diffusionModels: z.record(z.string(), z.number().positive()),
  /** Log-linear fit of step energy against parameters × latent pixels, for diffusion models outside the data. */
  diffusionSizeFit: z.object({ logIntercept: z.number(), slope: z.number(), band: z.number().positive() }),
});
export type Coefficients = z.infer<typeof coefficientsFileSchema>;

export interface GridFactor {
  gPerKwh: number;
  year: number | null;
  source: string;
  zoneName: string;
}

/** Hourly grid intensity for one zone. `startMs` ascending, one value per hour (or per slot). */
export interface HourlyTrace {
  zone: string;
  source: string;
  points: { startMs: number; gPerKwh: number }[];
}

/** Everything core needs, already parsed and validated. Build once, reuse for every estimate. */
export interface ReferenceData {
  methodology: Methodology;
  models: ModelRecord[];
  hardware: HardwareRecord[];
  providers: ProviderProfile[];
  cloudRegions: Map<string, CloudRegion>;
  coefficients: Coefficients;
  /** Annual average intensity by zone key (upper-case). */
  grid: Map<string, GridFactor>;
  /** Off-site water intensity of electricity by zone key, L/kWh. */
  waterIntensity: Map<string, { lPerKwh: number; source: string }>;
  /** Public list prices, USD per million tokens (or per unit for media). */
  prices: Map<string, PriceRecord>;
}

export const priceRecordSchema = z.object({
  model: z.string(),
  provider: z.string(),
  inputPerMTok: z.number().nonnegative().optional(),
  cachedInputPerMTok: z.number().nonnegative().optional(),
  outputPerMTok: z.number().nonnegative().optional(),
  perImage: z.number().nonnegative().optional(),
  perMinuteAudio: z.number().nonnegative().optional(),
  perMCharacters: z.number().nonnegative().optional(),
  perVideoSecond: z.number().nonnegative().optional(),
  source: z.string(),
});
export type PriceRecord = z.infer<typeof priceRecordSchema>;
export const pricesFileSchema = z.object({ generatedFrom: z.string(), prices: z.array(priceRecordSchema) });

export const methodologyFileSchema = z.object({
  version: z.string(),
  constants: z.object({
    serverFactor: rangeSchema.extend({ unit: z.string(), source: z.string() }),
    batchSize: rangeSchema.extend({ unit: z.string(), source: z.string() }),
    diffusionBatchSize: rangeSchema.extend({ unit: z.string(), source: z.string() }),
    serverEmbodiedKgCO2ePerGpu: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
    hardwareLifetimeYears: rangeSchema.extend({ unit: z.string(), source: z.string() }),
    gpuPowerFraction: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
    prefillMfu: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
    trainingMfu: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
    trainingBand: rangeSchema.extend({ unit: z.string(), source: z.string() }),
    speechCharactersPerSecond: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
    charactersPerToken: z.object({ value: z.number(), unit: z.string(), source: z.string() }),
  }),
});
export type Methodology = z.infer<typeof methodologyFileSchema>;
