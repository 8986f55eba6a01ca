import { indexModels, type ModelIndex, paramsRange, requireModel } from './catalog.js';
import { diffusionFitFor, diffusionGpuEnergyJ, diffusionStepEnergyJ } from './diffusion.js';
import { GreenprintError } from './errors.js';
import type { Boundary, Deployment, Operation, Precision, UsageEvent } from './event.js';
import { type GridLookup, gridIntensityGPerKwh, hourlyIntensity, WORLD_ZONE, zoneForRegion } from './grid.js';
import { gpuCountForModel, resolveGpu, textFitFor } from './hardware.js';
import type { Range } from './range.js';
import type {
  DiffusionFit,
  HardwareRecord,
  HourlyTrace,
  Modality,
  ModelRecord,
  PriceRecord,
  ProviderProfile,
  ReferenceData,
  TextFit,
} from './reference.js';
import { type GhgAttribution, ghgScopes } from './scope.js';
import { textGpuEnergy, trainingGpuWh } from './text.js';
import { WARNING_CODES, type Warning, type WarningCode, warning } from './warnings.js';

/** Bumped whenever a formula or coefficient changes; stored with every ledger row. */
export const METHODOLOGY_VERSION = '2026.11.0';

/** Three scenarios: index 0 = low-impact end, 1 = central, 2 = high-impact end. */
type Triple = [number, number, number];
const S = [0, 1, 2] as const;

export interface Impact {
  eventId?: string;
  model: { id: string; provider: string; modality: Modality; operation: Operation };
  boundary: Boundary;
  /** Energy at `boundary`, Wh. */
  energyWh: Range;
  /** Operational carbon at `boundary`: location-based, and market-based when a supplier factor was given, gCO2e. */
  carbonGCO2e: { location: Range; market: Range | null };
  /** On-site cooling water plus off-site water of electricity generation (always at facility), mL. */
  waterMl: Range;
  /** Hardware manufacturing emissions amortised over the request's GPU-time, gCO2e. */
  embodiedGCO2e: Range;
  /** List-price cost, USD; null where no public price applies. */
  costUsd: Range | null;
  ghg: GhgAttribution;
  assumptions: Assumptions;
  sources: string[];
  warnings: Warning[];
  methodologyVersion: string;
}

export interface Assumptions {
  deployment: Deployment;
  provider: string;
  model: {
    architecture: string;
    totalParamsB: Range;
    activeParamsB: Range;
    origin: 'catalog' | 'user';
  };
  units: Record<string, number>;
  hardware: {
    gpu: string;
    gpuCount: Range;
    batchSize: Range;
    precision: Precision;
    coefficientsFrom: string;
  };
  energyAtGpuWh: Range;
  serverFactor: Range;
  pue: Range;
  wueOnsiteLPerKwh: Range;
  wueOffsiteLPerKwh: number;
  grid: { zone: string; gPerKwh: number; source: string; year: number | null; hour?: string };
  marketFactorGPerKwh: number | null;
  embodied: { gpuKgCO2e: number; serverKgCO2ePerGpu: number; lifetimeYears: Range; gpuSeconds: Range };
}

export interface ExplainStep {
  name: string;
  value: number | string;
  unit: string;
  formula: string;
  source: string;
}

export interface EstimateOptions {
  /** Boundary of the reported energy and carbon; default facility. */
  boundary?: Boundary;
  /** Model size override, billions of parameters (describes a model not in the catalog). */
  paramsB?: number;
  /** Active parameters for a mixture-of-experts override; defaults to paramsB. */
  activeParamsB?: number;
  /** Hourly grid intensity; used for the hour of `event.startTime`. */
  trace?: HourlyTrace;
  /** When given, every intermediate value is appended here with its formula and source. */
  explain?: ExplainStep[];
}

const MODALITY_OPERATIONS: Record<Modality, Operation[]> = {
  text: ['chat', 'text_completion', 'fine_tuning'],
  embedding: ['embeddings'],
  image: ['image_generation', 'image_edit'],
  video: ['video_generation'],
  speech: ['audio_speech'],
  transcription: ['audio_transcription'],
  music: ['music_generation'],
};

const OPERATION_MODALITY: Record<Operation, Modality> = {
  chat: 'text',
  text_completion: 'text',
  fine_tuning: 'text',
  embeddings: 'embedding',
  image_generation: 'image',
  image_edit: 'image',
  video_generation: 'video',
  audio_speech: 'speech',
  audio_transcription: 'transcription',
  music_generation: 'music',
};

const SECONDS_PER_YEAR = 365.25 * 86_400;
const FIT_SOURCE =
  'Fitted on ML.ENERGY leaderboard v2 (github.com/ml-energy/leaderboard-v2), see docs/methodology.md';

export interface Estimator {
  /** Footprint of one usage event. The event must already be valid (see `parseUsageEvent`). */
  estimate(event: UsageEvent, options?: EstimateOptions): Impact;
  readonly models: ModelIndex;
  readonly reference: ReferenceData;
}

/** Builds lookup indexes once; `estimate` is then allocation-light and safe to call per request. */
export function createEstimator(reference: ReferenceData): Estimator {
  const models = indexModels(reference.models);
  const providers = new Map<string, ProviderProfile>();
  for (const p of reference.providers) {
    providers.set(p.id.toLowerCase(), p);
    for (const a of p.aliases) providers.set(a.toLowerCase(), p);
  }
  const env: Env = {
    ref: reference,
    models,
    providers,
    contexts: new Map(),
  };
  return { models, reference, estimate: (event, options = {}) => estimateWith(env, event, options) };
}

interface Env {
  ref: ReferenceData;
  models: ModelIndex;
  providers: Map<string, ProviderProfile>;
  /** Resolved contexts by the event fields they depend on; bounded. */
  contexts: Map<string, Context>;
}

/**
 * Everything about an estimate that depends on which model, provider, hardware and region — not on
 * how many tokens, images or seconds. Resolved once per distinct combination and reused.
 */
interface Context {
  model: ModelRecord;
  origin: 'catalog' | 'user';
  operation: Operation;
  deployment: Deployment;
  profile: ProviderProfile;
  gpu: HardwareRecord;
  precision: Precision;
  total: Triple;
  active: Triple;
  coefficientsFrom: string;
  text?: { fit: TextFit; gpuCount: Triple };
  diffusion?: {
    fit: DiffusionFit;
    stepEnergyJ: Triple;
    fromSizeFit: boolean;
    media: NonNullable<ModelRecord['media']>;
  };
  batch: Triple;
  batchAssumed: boolean;
  serverFactor: Triple;
  pue: Triple;
  wueOn: Triple;
  lifetime: Triple;
  perGpuKg: number;
  grid: GridLookup;
  offsite: { lPerKwh: number; source: string };
  price: PriceRecord | undefined;
  warnings: Warning[];
  sources: string[];
}

const MAX_CONTEXTS = 5000;
const SEP = '\u0001';

function contextFor(env: Env, event: UsageEvent, options: EstimateOptions): Context {
  const hw = event.hardware;
  const key = [
    event.responseModel ?? event.requestModel,
    event.provider,
    event.operation,
    event.deployment,
    event.region,
    hw?.gpu,
    hw?.precision,
    hw?.gpuCount,
    hw?.batchSize,
    options.paramsB,
    options.activeParamsB,
  ].join(SEP);
  let ctx = env.contexts.get(key);
  if (!ctx) {
    ctx = resolveContext(env, event, options);
    if (env.contexts.size >= MAX_CONTEXTS) env.contexts.clear();
    env.contexts.set(key, ctx);
  }
  return ctx;
}

function resolveContext(env: Env, event: UsageEvent, options: EstimateOptions): Context {
  const { ref, models, providers } = env;
  const c = ref.methodology.constants;
  const warnings: Warning[] = [];

  // Model: catalog, or the caller's size description.
  const modelId = event.responseModel ?? event.requestModel;
  let model: ModelRecord;
  let origin: 'catalog' | 'user' = 'catalog';
  if (options.paramsB !== undefined) {
    const base = models.byKey.get(modelId.toLowerCase())?.[0];
    const active = options.activeParamsB ?? options.paramsB;
    model = {
      ...(base ?? {
        id: modelId,
        provider: event.provider ?? 'self_hosted',
        aliases: [],
        modality: OPERATION_MODALITY[event.operation ?? 'chat'],
        openWeights: true,
        sources: ['caller-supplied model size'],
        warnings: [],
      }),
      architecture:
        base?.architecture === 'diffusion' ? 'diffusion' : active < options.paramsB ? 'moe' : 'dense',
      totalParamsB: options.paramsB,
      activeParamsB: active,
    };
    origin = 'user';
    warnings.push(warning('model-size-user-supplied', `${options.paramsB}B total, ${active}B active.`));
  } else {
    model = requireModel(models, modelId, event.provider);
  }
  for (const w of model.warnings) {
    if (w in WARNING_CODES) warnings.push(warning(w as WarningCode));
  }

  const allowed = MODALITY_OPERATIONS[model.modality];
  const operation = event.operation ?? allowed[0] ?? 'chat';
  if (!allowed.includes(operation)) {
    throw new GreenprintError(
      'unsupported_operation',
      `Model "${model.id}" is a ${model.modality} model; it cannot do "${operation}". ` +
        `Use one of: ${allowed.join(', ')}, or pick a ${OPERATION_MODALITY[operation]} model.`,
      { model: model.id, modality: model.modality, operation },
    );
  }

  // Provider profile and deployment.
  const providerId = (event.provider ?? model.provider).toLowerCase();
  const deployment: Deployment =
    event.deployment ?? (providerId === 'self_hosted' ? 'self_hosted' : 'managed_api');
  const profile =
    providers.get(providerId) ??
    providers.get(deployment === 'managed_api' ? 'huggingface_hub' : 'self_hosted');
  if (!profile) throw new GreenprintError('invalid_reference_data', 'No provider profiles are loaded.');

  // Hardware.
  const hw = event.hardware ?? {};
  const gpu = resolveGpu(ref.hardware, hw.gpu ?? profile.defaultGpu);
  if (!hw.gpu) warnings.push(warning('hardware-assumed', `Assumed ${gpu.id} (${profile.name} default).`));
  const precision: Precision = hw.precision ?? 'bf16';
  if (hw.precision === 'fp8' && !gpu.fp8Tflops) {
    warnings.push(warning('precision-unsupported', `${gpu.id} has no FP8 tensor cores.`));
  }
  if (gpu.embodiedExtrapolated) {
    warnings.push(warning('embodied-extrapolated', `${gpu.id} uses a similar GPU's figure.`));
  }
  const total = paramsRange(model.totalParamsB);
  const active = paramsRange(model.activeParamsB);

  let coefficientsFrom = gpu.id;
  let text: Context['text'];
  let diffusion: Context['diffusion'];
  const isMedia = model.modality === 'image' || model.modality === 'video';
  const batchAssumed = !hw.batchSize && operation !== 'fine_tuning';
  const batch: Triple = hw.batchSize
    ? [hw.batchSize, hw.batchSize, hw.batchSize]
    : triple(isMedia ? c.diffusionBatchSize : c.batchSize);
  if (batchAssumed) warnings.push(warning('batch-size-assumed'));

  if (isMedia) {
    const media = model.media ?? { nativeWidth: 1024, nativeHeight: 1024, defaultSteps: 50, guidance: true };
    const { fit, extrapolatedFrom } = diffusionFitFor(ref.coefficients.diffusion, ref.hardware, gpu);
    if (extrapolatedFrom) coefficientsFrom = `${extrapolatedFrom} (scaled)`;
    const stepEnergyJ: Triple = [0, 0, 0];
    let fromSizeFit = false;
    const sizeBand = ref.coefficients.diffusionSizeFit.band;
    for (const s of S) {
      const r = diffusionStepEnergyJ(ref.coefficients, model, total[s]);
      fromSizeFit = r.fromSizeFit;
      stepEnergyJ[s] = r.fromSizeFit
        ? r.stepEnergyJ * (s === 0 ? 1 / sizeBand : s === 2 ? sizeBand : 1)
        : r.stepEnergyJ;
    }
    if (fromSizeFit) warnings.push(warning('calibration-weak', 'Diffusion step energy from the size fit.'));
    diffusion = { fit, stepEnergyJ, fromSizeFit, media };
  } else {
    const { fit, extrapolatedFrom } = textFitFor(ref.coefficients.text, ref.hardware, gpu);
    if (extrapolatedFrom) coefficientsFrom = `${extrapolatedFrom} (scaled)`;
    const gpuCount: Triple = [1, 1, 1];
    for (const s of S) gpuCount[s] = hw.gpuCount ?? gpuCountForModel(total[s], precision, gpu);
    text = { fit, gpuCount };
  }
  if (coefficientsFrom !== gpu.id) {
    warnings.push(
      warning('hardware-extrapolated', `Scaled from ${coefficientsFrom.replace(' (scaled)', '')}.`),
    );
  }
  if (operation === 'fine_tuning') {
    warnings.push(warning('calibration-weak', 'Fine-tuning energy from 6·P·tokens FLOPs at an assumed MFU.'));
  }

  const grid = annualGrid(ref, event, profile, warnings);
  const offsite = waterFor(ref, grid.zone, warnings);
  const price = deployment === 'managed_api' ? ref.prices.get(model.id.toLowerCase()) : undefined;
  const sources = [
    ...new Set([
      ...model.sources,
      FIT_SOURCE,
      ...profile.sources,
      grid.factor.source,
      offsite.source,
      ...gpu.sources,
      c.serverFactor.source,
      ...(price ? [price.source] : []),
    ]),
  ].filter(Boolean);

  return {
    model,
    origin,
    operation,
    deployment,
    profile,
    gpu,
    precision,
    total,
    active,
    coefficientsFrom,
    ...(text ? { text } : {}),
    ...(diffusion ? { diffusion } : {}),
    batch,
    batchAssumed,
    serverFactor: triple(c.serverFactor),
    pue: triple(profile.pue),
    wueOn: triple(profile.wueOnsiteLPerKwh),
    lifetime: triple(c.hardwareLifetimeYears),
    perGpuKg: gpu.embodiedKgCO2e + c.serverEmbodiedKgCO2ePerGpu.value,
    grid,
    offsite,
    price,
    warnings,
    sources,
  };
}

function estimateWith(env: Env, event: UsageEvent, options: EstimateOptions): Impact {
  const ctx = contextFor(env, event, options);
  const { model, gpu, precision, total, active, profile, batch } = ctx;
  const c = env.ref.methodology.constants;
  checkUnitsFitModality(event, model.modality);
  const warnings = ctx.warnings.slice();
  const explain = options.explain;
  const step = explain ? explainStep(explain) : noStep;
  step('total parameters', total[1], 'B', 'catalog or --params-billion', model.sources[0] ?? '');
  step('active parameters', active[1], 'B', 'catalog or --active-params-billion', model.sources[0] ?? '');

  const units: Record<string, number> = {};
  const gpuWh: Triple = [0, 0, 0];
  const gpuCount: Triple = ctx.text ? ctx.text.gpuCount : [1, 1, 1];

  if (ctx.diffusion) {
    const { fit, stepEnergyJ, fromSizeFit, media } = ctx.diffusion;
    const image = model.modality === 'image';
    const width = (image ? event.images?.width : event.video?.width) ?? media.nativeWidth;
    const height = (image ? event.images?.height : event.video?.height) ?? media.nativeHeight;
    const steps = (image ? event.images?.steps : event.video?.steps) ?? media.defaultSteps;
    let frames = event.images?.count ?? 1;
    if (image) {
      units.images = frames;
    } else {
      const seconds = event.video?.seconds;
      if (!seconds) {
        throw new GreenprintError(
          'invalid_input',
          'A video estimate needs the output length: --video-seconds S.',
        );
      }
      const fps = event.video?.fps ?? media.defaultFps ?? 24;
      frames = Math.max(1, Math.round(seconds * fps));
      units.videoSeconds = seconds;
      units.fps = fps;
      units.frames = frames;
    }
    units.width = width;
    units.height = height;
    units.steps = steps;
    step(
      'denoiser step energy (H100, native resolution)',
      stepEnergyJ[1],
      'J per image per step',
      fromSizeFit ? 'size fit exp(a + b ln(P · latent pixels · cfg))' : 'fitted per model',
      FIT_SOURCE,
    );
    for (const s of S) {
      const band = s === 0 ? fit.band.low : s === 2 ? fit.band.high : 1;
      const j = diffusionGpuEnergyJ({
        stepEnergyJ: stepEnergyJ[s],
        fit,
        units: frames,
        width,
        height,
        nativeWidth: media.nativeWidth,
        nativeHeight: media.nativeHeight,
        steps,
        batchSize: batch[s],
      });
      gpuWh[s] = (j * band) / 3600;
    }
    step(
      'GPU energy',
      gpuWh[1],
      'Wh',
      'steps · (units · s_m · g_gpu · pixels/native + o_gpu / B) / 3600',
      FIT_SOURCE,
    );
  } else if (ctx.text) {
    const { fit } = ctx.text;
    const tokens = textWorkload(event, model, c, warnings);
    Object.assign(units, tokens.units);
    for (const s of S) {
      if (ctx.operation === 'fine_tuning') {
        const tb = s === 0 ? c.trainingBand.low : s === 2 ? c.trainingBand.high : c.trainingBand.mid;
        gpuWh[s] = trainingGpuWh(active[s], tokens.prefillTokens, precision, gpu, c.trainingMfu.value) * tb;
        continue;
      }
      const band = s === 0 ? fit.band.low : s === 2 ? fit.band.high : 1;
      const e = textGpuEnergy({
        activeParamsB: active[s] * tokens.paramShare,
        totalParamsB: total[s] * tokens.paramShare,
        precision,
        gpu,
        gpuCount: gpuCount[s],
        batchSize: batch[s],
        prefillTokens: tokens.prefillTokens,
        outputTokens: tokens.outputTokens,
        fit,
        prefillMfu: c.prefillMfu.value,
      });
      gpuWh[s] = e.gpuWh * band;
      if (s === 1 && explain) {
        step(
          'GPU count',
          gpuCount[1],
          'GPUs',
          'next power of two of ⌈1.2 · P_total · bytes / GPU memory⌉',
          'EcoLogits method; data/reference.json',
        );
        step(
          'prefill energy per input token',
          e.prefillJPerToken,
          'J',
          '2 · P_active · 1e9 · f_prec · TDP / (peak FLOP/s · MFU)',
          c.prefillMfu.source,
        );
        step(
          'decode energy per output token',
          e.decodeJPerToken,
          'J',
          'k_c · P_active · f_prec + k_w · W_GB / B + k_g · G',
          FIT_SOURCE,
        );
        step('prefill energy', e.prefillWh, 'Wh', 'prefill tokens · prefill J per token / 3600', FIT_SOURCE);
        step('decode energy', e.decodeWh, 'Wh', 'output tokens · decode J per token / 3600', FIT_SOURCE);
      }
    }
    if (ctx.operation === 'fine_tuning') {
      step(
        'GPU energy (training)',
        gpuWh[1],
        'Wh',
        '6 · P_active · 1e9 · tokens · TDP / (peak FLOP/s · MFU) / 3600',
        c.trainingMfu.source,
      );
    }
  }

  // Boundaries. Measured energy replaces the model's figure; the range collapses to the conversion's.
  const { serverFactor, pue } = ctx;
  const measured = event.measuredEnergy;
  if (measured) {
    for (const s of S) {
      const f =
        measured.boundary === 'gpu'
          ? 1
          : measured.boundary === 'server'
            ? serverFactor[s]
            : serverFactor[s] * pue[s];
      gpuWh[s] = measured.wh / f;
    }
    warnings.push(warning('measured-energy-used', `${measured.wh} Wh at the ${measured.boundary} boundary.`));
  }
  const boundary = options.boundary ?? 'facility';
  const serverWh = mul(gpuWh, serverFactor);
  const facilityWh = mul(serverWh, pue);
  if (measured) {
    const exact =
      measured.boundary === 'gpu' ? gpuWh : measured.boundary === 'server' ? serverWh : facilityWh;
    exact[0] = exact[2] = exact[1] = measured.wh;
  }
  const energy = boundary === 'gpu' ? gpuWh : boundary === 'server' ? serverWh : facilityWh;
  step('server energy', serverWh[1], 'Wh', 'GPU energy · server factor', c.serverFactor.source);
  step('facility energy', facilityWh[1], 'Wh', 'server energy · PUE', profile.sources[0] ?? '');

  // Carbon: the annual average, or the event's hour in a trace.
  const grid = options.trace ? hourlyGrid(ctx.grid, event, options.trace, warnings) : ctx.grid;
  const intensity = grid.factor.gPerKwh;
  const location = scale(energy, intensity / 1000);
  const market =
    event.marketFactorGPerKwh !== undefined ? scale(energy, event.marketFactorGPerKwh / 1000) : null;
  step(
    'grid intensity',
    intensity,
    'gCO2e/kWh',
    `zone ${grid.zone}${grid.hourly ? ', hourly trace' : ', annual average'}`,
    grid.factor.source,
  );
  step(
    'carbon (location-based)',
    location[1],
    'gCO2e',
    `energy at ${boundary} (kWh) · grid intensity`,
    grid.factor.source,
  );

  // Water: on-site cooling on IT (server) energy, off-site generation water on facility energy.
  const { wueOn } = ctx;
  let offsite = ctx.offsite;
  if (grid.zone !== ctx.grid.zone) {
    // The trace names the zone: water follows it, and the region fallback warnings no longer apply.
    offsite = waterFor(env.ref, grid.zone, warnings);
    for (let i = warnings.length - 1; i >= 0; i--) {
      const code = warnings[i]?.code;
      if (code === 'region-provider-default' || code === 'region-unknown-world-average')
        warnings.splice(i, 1);
    }
  }
  const water: Triple = [0, 0, 0];
  for (const s of S) water[s] = serverWh[s] * wueOn[s] + facilityWh[s] * offsite.lPerKwh; // Wh·L/kWh = mL
  step(
    'water',
    water[1],
    'mL',
    'server Wh · WUE on-site + facility Wh · water intensity of electricity',
    offsite.source,
  );

  // Embodied: GPU-seconds × (GPU + server share) / lifetime.
  const gpuSeconds: Triple = [0, 0, 0];
  const embodied: Triple = [0, 0, 0];
  const watts = gpu.tdpW * c.gpuPowerFraction.value;
  for (const s of S) {
    gpuSeconds[s] = (gpuWh[s] * 3600) / watts;
    embodied[s] = (ctx.perGpuKg * 1000 * gpuSeconds[s]) / (ctx.lifetime[s] * SECONDS_PER_YEAR);
  }
  step(
    'GPU-seconds',
    gpuSeconds[1],
    's',
    'GPU energy (J) / (TDP · average power fraction)',
    c.gpuPowerFraction.source,
  );
  step(
    'embodied carbon',
    embodied[1],
    'gCO2e',
    '(GPU + server share kgCO2e) · 1000 · GPU-seconds / lifetime',
    gpu.sources[0] ?? '',
  );

  const cost = costFor(ctx, event, units, warnings);
  if (cost) step('cost', cost.mid, 'USD', 'units · public list price', ctx.price?.source ?? '');

  // Built without object spread: spreading into a large literal drops V8 to its slow path (10 µs).
  const impact: Impact = {
    model: { id: model.id, provider: profile.id, modality: model.modality, operation: ctx.operation },
    boundary,
    energyWh: toRange(energy),
    carbonGCO2e: { location: toRange(location), market: market ? toRange(market) : null },
    waterMl: toRange(water),
    embodiedGCO2e: toRange(embodied),
    costUsd: cost,
    ghg: ghgScopes(ctx.deployment),
    assumptions: {
      deployment: ctx.deployment,
      provider: profile.id,
      model: {
        architecture: model.architecture,
        totalParamsB: toRange(total),
        activeParamsB: toRange(active),
        origin: ctx.origin,
      },
      units,
      hardware: {
        gpu: gpu.id,
        gpuCount: toRange(gpuCount),
        batchSize: { low: batch[0], mid: batch[1], high: batch[2] },
        precision,
        coefficientsFrom: ctx.coefficientsFrom,
      },
      energyAtGpuWh: toRange(gpuWh),
      serverFactor: toRange(serverFactor),
      pue: toRange(pue),
      wueOnsiteLPerKwh: toRange(wueOn),
      wueOffsiteLPerKwh: offsite.lPerKwh,
      grid: { zone: grid.zone, gPerKwh: intensity, source: grid.factor.source, year: grid.factor.year },
      marketFactorGPerKwh: event.marketFactorGPerKwh ?? null,
      embodied: {
        gpuKgCO2e: gpu.embodiedKgCO2e,
        serverKgCO2ePerGpu: c.serverEmbodiedKgCO2ePerGpu.value,
        lifetimeYears: { low: ctx.lifetime[0], mid: ctx.lifetime[1], high: ctx.lifetime[2] },
        gpuSeconds: toRange(gpuSeconds),
      },
    },
    sources: grid.hourly ? [...ctx.sources, grid.factor.source] : ctx.sources,
    warnings,
    methodologyVersion: METHODOLOGY_VERSION,
  };
  if (grid.hourly) impact.assumptions.grid.hour = new Date(grid.hourly.startMs).toISOString();
  if (event.id) impact.eventId = event.id;
  return impact;
}

type Step = (name: string, value: number | string, unit: string, formula: string, source: string) => void;
const noStep: Step = () => {};
function explainStep(explain: ExplainStep[]): Step {
  return (name, value, unit, formula, source) => {
    explain.push({
      name,
      value: typeof value === 'number' ? Number(value.toPrecision(4)) : value,
      unit,
      formula,
      source,
    });
  };
}

/** Tokens a text-path request processes, derived from the event's units for audio and embeddings. */
function textWorkload(
  event: UsageEvent,
  model: ModelRecord,
  c: ReferenceData['methodology']['constants'],
  warnings: Warning[],
): { prefillTokens: number; outputTokens: number; paramShare: number; units: Record<string, number> } {
  const input = event.inputTokens ?? 0;
  const cached = event.cachedInputTokens ?? 0;
  if (cached > input) {
    throw new GreenprintError(
      'invalid_input',
      `Cached input tokens (${cached}) exceed input tokens (${input}); cached tokens are a subset of input tokens.`,
    );
  }
  const output = event.outputTokens ?? event.reasoningTokens ?? 0;
  if (
    event.reasoningTokens !== undefined &&
    event.outputTokens !== undefined &&
    event.reasoningTokens > event.outputTokens
  ) {
    throw new GreenprintError(
      'invalid_input',
      `Reasoning tokens (${event.reasoningTokens}) exceed output tokens (${event.outputTokens}); reasoning tokens are a subset of output tokens.`,
    );
  }
  const audio = model.audio ?? {};
  switch (model.modality) {
    case 'embedding':
      return { prefillTokens: input, outputTokens: 0, paramShare: 1, units: { inputTokens: input } };
    case 'transcription': {
      const seconds = event.audio?.seconds;
      if (!seconds)
        throw new GreenprintError(
          'invalid_input',
          'A transcription estimate needs the audio length: --audio-seconds S.',
        );
      const encoderTokens = seconds * (audio.inputTokensPerSecond ?? 50);
      const transcript = event.outputTokens ?? seconds * (audio.transcriptTokensPerSecond ?? 3);
      if (event.outputTokens === undefined)
        warnings.push(warning('tokens-estimated', 'Transcript tokens from audio seconds.'));
      // Encoder and decoder each hold about half the weights (Whisper): half the model per phase.
      return {
        prefillTokens: encoderTokens,
        outputTokens: transcript,
        paramShare: 0.5,
        units: { audioSeconds: seconds, encoderTokens, transcriptTokens: transcript },
      };
    }
    case 'speech': {
      const cps = c.speechCharactersPerSecond.value;
      const chars = event.audio?.characters ?? (event.audio?.seconds ?? 0) * cps;
      const seconds = event.audio?.seconds ?? chars / cps;
      if (!chars)
        throw new GreenprintError(
          'invalid_input',
          'A speech estimate needs --characters N or --audio-seconds S.',
        );
      warnings.push(warning('tokens-estimated', 'Text and audio tokens from characters and seconds.'));
      const audioTokens = seconds * (audio.outputTokensPerSecond ?? 75);
      return {
        prefillTokens: chars / c.charactersPerToken.value,
        outputTokens: audioTokens,
        paramShare: 1,
        units: { characters: chars, audioSeconds: seconds, audioTokens },
      };
    }
    case 'music': {
      const seconds = event.audio?.seconds;
      if (!seconds)
        throw new GreenprintError(
          'invalid_input',
          'A music estimate needs the output length: --audio-seconds S.',
        );
      const audioTokens = seconds * (audio.outputTokensPerSecond ?? 50);
      return {
        prefillTokens: input,
        outputTokens: audioTokens,
        paramShare: 1,
        units: { audioSeconds: seconds, audioTokens },
      };
    }
    default:
      if (event.operation === 'fine_tuning' && input === 0) {
        throw new GreenprintError(
          'invalid_input',
          'A fine-tuning estimate needs the training tokens (dataset tokens × epochs): --input-tokens N.',
        );
      }
      return {
        prefillTokens: input - cached,
        outputTokens: output,
        paramShare: 1,
        units: {
          inputTokens: input,
          cachedInputTokens: cached,
          outputTokens: output,
          reasoningTokens: event.reasoningTokens ?? 0,
        },
      };
  }
}

function checkUnitsFitModality(event: UsageEvent, modality: Modality): void {
  const bad = (what: string) => {
    throw new GreenprintError(
      'unsupported_operation',
      `${what} do not apply to a ${modality} model. Remove them or choose a model of the right kind.`,
      { modality },
    );
  };
  if (event.images && modality !== 'image') bad('Image options (--images, --width, --height, --steps)');
  if (event.video && modality !== 'video') bad('Video options (--video-seconds, --fps)');
  if (event.audio && !['speech', 'transcription', 'music'].includes(modality))
    bad('Audio options (--audio-seconds, --characters)');
  if (
    (event.outputTokens || event.reasoningTokens) &&
    (modality === 'embedding' || modality === 'image' || modality === 'video')
  ) {
    bad('Output tokens');
  }
}

/** The annual-average intensity for the event's region, the provider's default, or the world. */
function annualGrid(
  ref: ReferenceData,
  event: UsageEvent,
  profile: ProviderProfile,
  warnings: Warning[],
): GridLookup {
  if (event.region) return gridIntensityGPerKwh(ref.grid, zoneForRegion(event.region, ref.cloudRegions));
  const fallback = profile.defaultRegion.toUpperCase();
  if (fallback !== WORLD_ZONE && ref.grid.has(fallback)) {
    warnings.push(warning('region-provider-default', `${profile.name}: ${profile.defaultRegion}.`));
    return gridIntensityGPerKwh(ref.grid, fallback);
  }
  warnings.push(warning('region-unknown-world-average'));
  return gridIntensityGPerKwh(ref.grid, WORLD_ZONE);
}

/** The trace's value for the event's hour; the annual average (with a warning) outside the trace. */
function hourlyGrid(
  annual: GridLookup,
  event: UsageEvent,
  trace: HourlyTrace,
  warnings: Warning[],
): GridLookup {
  if (!event.startTime) {
    throw new GreenprintError('invalid_input', 'An hourly trace needs the event time: --time ISO-8601.');
  }
  const hit = hourlyIntensity(trace, Date.parse(event.startTime));
  if (!hit) {
    warnings.push(
      warning('grid-hour-outside-trace', `${event.startTime} is outside the ${trace.zone} trace.`),
    );
    return annual;
  }
  return {
    zone: trace.zone.toUpperCase(),
    factor: {
      ...annual.factor,
      gPerKwh: hit.gPerKwh,
      year: new Date(hit.startMs).getUTCFullYear(),
      source: trace.source,
    },
    hourly: { startMs: hit.startMs, source: trace.source },
  };
}

function waterFor(
  ref: ReferenceData,
  zone: string,
  warnings: Warning[],
): { lPerKwh: number; source: string } {
  const dash = zone.indexOf('-');
  const w =
    ref.waterIntensity.get(zone) ?? (dash > 0 ? ref.waterIntensity.get(zone.slice(0, dash)) : undefined);
  if (w) return w;
  const world = ref.waterIntensity.get(WORLD_ZONE);
  if (!world) throw new GreenprintError('invalid_reference_data', 'No world water intensity is loaded.');
  warnings.push(
    warning('region-unknown-world-average', `No water intensity for ${zone}; world average used.`),
  );
  return world;
}

function costFor(
  ctx: Context,
  event: UsageEvent,
  units: Record<string, number>,
  warnings: Warning[],
): Range | null {
  if (ctx.deployment !== 'managed_api') {
    warnings.push(warning('price-unknown', 'Self-hosted and rented GPUs: cost is your infrastructure bill.'));
    return null;
  }
  const p = ctx.price;
  let usd = 0;
  let priced = false;
  if (p) {
    const input = event.inputTokens ?? 0;
    const cached = event.cachedInputTokens ?? 0;
    if (p.inputPerMTok !== undefined && input > 0) {
      usd += ((input - cached) * p.inputPerMTok + cached * (p.cachedInputPerMTok ?? p.inputPerMTok)) / 1e6;
      priced = true;
    }
    const output = event.outputTokens ?? event.reasoningTokens ?? 0;
    if (p.outputPerMTok !== undefined && output > 0) {
      usd += (output * p.outputPerMTok) / 1e6;
      priced = true;
    }
    if (p.perImage !== undefined && units.images) {
      usd += units.images * p.perImage;
      priced = true;
    }
    if (p.perMinuteAudio !== undefined && units.audioSeconds) {
      usd += (units.audioSeconds / 60) * p.perMinuteAudio;
      priced = true;
    }
    if (p.perMCharacters !== undefined && units.characters) {
      usd += (units.characters * p.perMCharacters) / 1e6;
      priced = true;
    }
    if (p.perVideoSecond !== undefined && units.videoSeconds) {
      usd += units.videoSeconds * p.perVideoSecond;
      priced = true;
    }
  }
  if (!priced) {
    warnings.push(warning('price-unknown', `No public price for ${ctx.model.id} in data/prices.json.`));
    return null;
  }
  return { low: usd, mid: usd, high: usd };
}

/** A `{low, mid, high}` record (ordered low-impact to high-impact) as scenario values. */
function triple(r: { low: number; mid: number; high: number }): Triple {
  return [r.low, r.mid, r.high];
}

function mul(a: Triple, b: Triple): Triple {
  return [a[0] * b[0], a[1] * b[1], a[2] * b[2]];
}

function scale(a: Triple, k: number): Triple {
  return [a[0] * k, a[1] * k, a[2] * k];
}

function toRange(t: Triple): Range {
  return { low: Math.min(t[0], t[1]), mid: t[1], high: Math.max(t[2], t[1]) };
}
