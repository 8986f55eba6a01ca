import { parseArgs } from 'node:util';
import {
  BOUNDARIES,
  type Boundary,
  DEPLOYMENTS,
  type EstimateOptions,
  GreenprintError,
  OPERATIONS,
  PRECISIONS,
  type UsageEvent,
} from '../core/index.js';

/** Flags shared by `estimate` and `explain`. */
export const ESTIMATE_FLAGS = {
  model: { type: 'string', help: 'Model id or alias (see `greenprint models`)' },
  provider: {
    type: 'string',
    help: 'Provider: openai, anthropic, google_genai, mistralai, huggingface_hub, …',
  },
  operation: { type: 'string', help: `One of ${OPERATIONS.join(', ')} (default: from the model)` },
  'input-tokens': { type: 'string', help: 'Input tokens (for fine_tuning: training tokens × epochs)' },
  'output-tokens': { type: 'string', help: 'Output tokens, reasoning included' },
  'cached-input-tokens': { type: 'string', help: 'Input tokens served from the prompt cache' },
  'reasoning-tokens': { type: 'string', help: 'Reasoning tokens (part of output)' },
  images: { type: 'string', help: 'Number of images' },
  width: { type: 'string', help: 'Image or video width, px' },
  height: { type: 'string', help: 'Image or video height, px' },
  steps: { type: 'string', help: 'Denoising steps' },
  'video-seconds': { type: 'string', help: 'Seconds of generated video' },
  fps: { type: 'string', help: 'Video frames per second' },
  'audio-seconds': { type: 'string', help: 'Seconds of audio (speech, transcription, music)' },
  characters: { type: 'string', help: 'Characters of text to speak' },
  region: {
    type: 'string',
    help: 'Grid zone (DE, US-CAL-CISO), ISO country (DEU) or cloud region (us-east-1)',
  },
  time: { type: 'string', help: 'ISO-8601 time of the call (selects the hour in --trace)' },
  trace: {
    type: 'string',
    help: 'Hourly carbon-intensity CSV (Electricity Maps, Let’s Wait Awhile, WattTime)',
  },
  gpu: { type: 'string', help: 'GPU type: A100-40GB, A100-80GB, H100, H200, B200, …' },
  gpus: { type: 'string', help: 'GPU count (default: enough memory for the weights)' },
  batch: { type: 'string', help: 'Concurrent requests in the serving batch' },
  precision: { type: 'string', help: `Weight precision: ${PRECISIONS.join(', ')}` },
  'params-billion': {
    type: 'string',
    help: 'Total parameters, billions (a model not in the catalog, or an override)',
  },
  'active-params-billion': { type: 'string', help: 'Active parameters, billions (mixture-of-experts)' },
  boundary: { type: 'string', help: `Energy boundary: ${BOUNDARIES.join(', ')} (default facility)` },
  deployment: { type: 'string', help: `${DEPLOYMENTS.join(', ')} (default managed_api)` },
  'market-factor': { type: 'string', help: 'Supplier emission factor, gCO2e/kWh, for market-based Scope 2' },
  'measured-wh': { type: 'string', help: 'Measured energy, Wh (replaces the model estimate)' },
  'measured-boundary': { type: 'string', help: 'Boundary of --measured-wh (default gpu)' },
  json: { type: 'boolean', help: 'Print JSON' },
  help: { type: 'boolean', short: 'h', help: 'Show help' },
} as const;

export type FlagSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean; help: string }
>;

/** Parses argv strictly: unknown flags and stray positionals are errors (exit code 2). */
export function parseFlags<T extends FlagSpec>(spec: T, argv: string[], positionals = 0) {
  const options = Object.fromEntries(
    Object.entries(spec).map(([k, v]) => [
      k,
      { type: v.type, ...(v.short ? { short: v.short } : {}), ...(v.multiple ? { multiple: true } : {}) },
    ]),
  );
  // `--flag -5` would read as two options; join them so the value check can explain the problem.
  const args: string[] = [];
  for (const a of argv) {
    const prev = args[args.length - 1];
    const takesValue =
      prev?.startsWith('--') && !prev.includes('=') && spec[prev.slice(2)]?.type === 'string';
    if (/^-\d/.test(a) && takesValue) args[args.length - 1] = `${prev}=${a}`;
    else args.push(a);
  }
  try {
    const parsed = parseArgs({ args, options: options as never, allowPositionals: true, strict: true });
    if (parsed.positionals.length > positionals) {
      throw new GreenprintError('invalid_input', `Unexpected argument "${parsed.positionals[positionals]}".`);
    }
    return parsed as {
      values: Record<string, string | boolean | string[] | undefined>;
      positionals: string[];
    };
  } catch (error) {
    if (error instanceof GreenprintError) throw error;
    throw new GreenprintError(
      'invalid_input',
      `${(error as Error).message.replace(/\. To specify.*$/s, '')}. See --help.`,
    );
  }
}

export function helpFor(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([k, v]) => `  --${k}${v.type === 'string' ? ' <value>' : ''}`.padEnd(34) + v.help)
    .join('\n');
}

function num(
  values: Record<string, unknown>,
  flag: string,
  kind: 'count' | 'positive' | 'nonnegative',
): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = Number(text);
  const ok =
    text !== '' &&
    Number.isFinite(n) &&
    (kind === 'count' ? Number.isInteger(n) && n >= 0 : kind === 'positive' ? n > 0 : n >= 0);
  if (!ok) {
    const what =
      kind === 'count' ? 'a whole number ≥ 0' : kind === 'positive' ? 'a number > 0' : 'a number ≥ 0';
    throw new GreenprintError('invalid_input', `--${flag} must be ${what}; got "${text}".`);
  }
  return n;
}

function oneOf<T extends string>(
  values: Record<string, unknown>,
  flag: string,
  allowed: readonly T[],
): T | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) {
    throw new GreenprintError(
      'invalid_input',
      `--${flag} must be one of ${allowed.join(', ')}; got "${raw}".`,
    );
  }
  return raw as T;
}

function positiveInt(values: Record<string, unknown>, flag: string): number | undefined {
  const n = num(values, flag, 'count');
  if (n === 0) throw new GreenprintError('invalid_input', `--${flag} must be at least 1.`);
  return n;
}

/** Turns estimate flags into a usage event and estimate options, rejecting impossible input. */
export function eventFromFlags(values: Record<string, string | boolean | string[] | undefined>): {
  event: UsageEvent;
  options: Omit<EstimateOptions, 'trace'> & { tracePath?: string };
} {
  const model = values.model;
  if (typeof model !== 'string' || model === '') {
    throw new GreenprintError(
      'invalid_input',
      'Missing --model. Run `greenprint models` to list the catalog.',
    );
  }
  const time = values.time as string | undefined;
  if (time !== undefined && Number.isNaN(Date.parse(time))) {
    throw new GreenprintError(
      'invalid_input',
      `--time must be an ISO-8601 date-time such as 2024-06-01T12:00:00Z; got "${time}".`,
    );
  }
  const images = positiveInt(values, 'images');
  const width = num(values, 'width', 'positive');
  const height = num(values, 'height', 'positive');
  const steps = positiveInt(values, 'steps');
  const videoSeconds = num(values, 'video-seconds', 'positive');
  const fps = num(values, 'fps', 'positive');
  const audioSeconds = num(values, 'audio-seconds', 'positive');
  const characters = positiveInt(values, 'characters');
  const isVideo = videoSeconds !== undefined || fps !== undefined;
  if (fps !== undefined && videoSeconds === undefined) {
    throw new GreenprintError('invalid_input', '--fps needs --video-seconds.');
  }
  if (isVideo && images !== undefined) {
    throw new GreenprintError(
      'invalid_input',
      '--images and --video-seconds cannot be combined: pick image or video output.',
    );
  }
  const gpu = values.gpu as string | undefined;
  const gpuCount = positiveInt(values, 'gpus');
  const batchSize = positiveInt(values, 'batch');
  const precision = oneOf(values, 'precision', PRECISIONS);
  const measuredWh = num(values, 'measured-wh', 'nonnegative');
  const measuredBoundary = oneOf(values, 'measured-boundary', BOUNDARIES);
  if (measuredBoundary && measuredWh === undefined)
    throw new GreenprintError('invalid_input', '--measured-boundary needs --measured-wh.');
  const paramsB = num(values, 'params-billion', 'positive');
  const activeParamsB = num(values, 'active-params-billion', 'positive');
  if (activeParamsB !== undefined && paramsB === undefined) {
    throw new GreenprintError('invalid_input', '--active-params-billion needs --params-billion (the total).');
  }
  if (activeParamsB !== undefined && paramsB !== undefined && activeParamsB > paramsB) {
    throw new GreenprintError(
      'invalid_input',
      `--active-params-billion (${activeParamsB}) cannot exceed --params-billion (${paramsB}).`,
    );
  }
  const event: UsageEvent = {
    requestModel: model,
    ...(values.provider ? { provider: String(values.provider) } : {}),
    ...(values.operation !== undefined ? { operation: oneOf(values, 'operation', OPERATIONS) } : {}),
    ...(values.deployment !== undefined ? { deployment: oneOf(values, 'deployment', DEPLOYMENTS) } : {}),
    inputTokens: num(values, 'input-tokens', 'count'),
    outputTokens: num(values, 'output-tokens', 'count'),
    cachedInputTokens: num(values, 'cached-input-tokens', 'count'),
    reasoningTokens: num(values, 'reasoning-tokens', 'count'),
    ...(images !== undefined ||
    width !== undefined ||
    height !== undefined ||
    (steps !== undefined && !isVideo)
      ? isVideo
        ? {}
        : { images: { count: images ?? 1, width, height, steps } }
      : {}),
    ...(isVideo ? { video: { seconds: videoSeconds as number, fps, width, height, steps } } : {}),
    ...(audioSeconds !== undefined || characters !== undefined
      ? { audio: { seconds: audioSeconds, characters } }
      : {}),
    ...(values.region ? { region: String(values.region) } : {}),
    ...(time ? { startTime: new Date(time).toISOString() } : {}),
    ...(gpu || gpuCount || batchSize || precision
      ? { hardware: { gpu, gpuCount, batchSize, precision } }
      : {}),
    ...(measuredWh !== undefined
      ? { measuredEnergy: { wh: measuredWh, boundary: measuredBoundary ?? 'gpu' } }
      : {}),
    marketFactorGPerKwh: num(values, 'market-factor', 'nonnegative'),
  };
  const boundary: Boundary | undefined = oneOf(values, 'boundary', BOUNDARIES);
  return {
    event: stripUndefined(event),
    options: {
      ...(boundary ? { boundary } : {}),
      ...(paramsB !== undefined ? { paramsB } : {}),
      ...(activeParamsB !== undefined ? { activeParamsB } : {}),
      ...(values.trace ? { tracePath: String(values.trace) } : {}),
    },
  };
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
