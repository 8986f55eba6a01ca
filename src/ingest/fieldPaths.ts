/** How a CSV cell is converted before validation. */
export type FieldKind = 'number' | 'string' | 'time';

/**
 * Every UsageEvent field a CSV column can fill, with its cell conversion. `tags.<name>` is accepted as
 * well. A test checks this table against `usageEventSchema`, so a new event field cannot be forgotten.
 */
export const FIELD_KINDS: Readonly<Record<string, FieldKind>> = {
  id: 'string',
  operation: 'string',
  provider: 'string',
  requestModel: 'string',
  responseModel: 'string',
  inputTokens: 'number',
  outputTokens: 'number',
  cachedInputTokens: 'number',
  reasoningTokens: 'number',
  'images.count': 'number',
  'images.width': 'number',
  'images.height': 'number',
  'images.steps': 'number',
  'audio.seconds': 'number',
  'audio.characters': 'number',
  'video.seconds': 'number',
  'video.width': 'number',
  'video.height': 'number',
  'video.fps': 'number',
  'video.steps': 'number',
  requests: 'number',
  startTime: 'time',
  durationMs: 'number',
  region: 'string',
  deployment: 'string',
  'hardware.gpu': 'string',
  'hardware.gpuCount': 'number',
  'hardware.batchSize': 'number',
  'hardware.precision': 'string',
  'measuredEnergy.wh': 'number',
  'measuredEnergy.boundary': 'string',
  marketFactorGPerKwh: 'number',
  organisation: 'string',
  project: 'string',
  pipeline: 'string',
  stage: 'string',
  run: 'string',
  team: 'string',
};

/** Field paths a CSV column can fill, for messages. */
export const FIELD_LIST = `${Object.keys(FIELD_KINDS).join(', ')}, tags.<name>`;

/** Column names found in provider exports and spreadsheets, after `normalizeColumn`. */
export const COLUMN_ALIASES: Readonly<Record<string, string>> = {
  model: 'requestModel',
  model_id: 'requestModel',
  response_model: 'responseModel',
  input_tokens: 'inputTokens',
  prompt_tokens: 'inputTokens',
  output_tokens: 'outputTokens',
  completion_tokens: 'outputTokens',
  cached_tokens: 'cachedInputTokens',
  cached_input_tokens: 'cachedInputTokens',
  reasoning_tokens: 'reasoningTokens',
  timestamp: 'startTime',
  time: 'startTime',
  start_time: 'startTime',
  date: 'startTime',
  duration_ms: 'durationMs',
  organization: 'organisation',
  requests: 'requests',
  num_requests: 'requests',
  n_requests: 'requests',
  images: 'images.count',
  image_count: 'images.count',
  width: 'images.width',
  height: 'images.height',
  steps: 'images.steps',
  audio_seconds: 'audio.seconds',
  characters: 'audio.characters',
  video_seconds: 'video.seconds',
};

const FIELDS_BY_LOWER = new Map(Object.keys(FIELD_KINDS).map((f) => [f.toLowerCase(), f]));

/** Lower case, spaces and hyphens as underscores: `Prompt Tokens`, `prompt-tokens` become `prompt_tokens`. */
export function normalizeColumn(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** The field path a name stands for (a field name in any case, `tags.x`, or an alias), if any. */
export function resolveField(name: string): string | undefined {
  const trimmed = name.trim();
  const tag = /^tags\.(.+)$/i.exec(trimmed);
  if (tag?.[1]) return `tags.${tag[1]}`;
  return FIELDS_BY_LOWER.get(trimmed.toLowerCase()) ?? COLUMN_ALIASES[normalizeColumn(trimmed)];
}

/** Conversion for a field path; tags are strings. Undefined for a path that is not an event field. */
export function fieldKind(path: string): FieldKind | undefined {
  if (/^tags\..+/.test(path)) return 'string';
  return FIELD_KINDS[path];
}

/** Sets `a.b` on a plain object, creating the intermediate object. */
export function setField(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  const existing = target[head];
  const inner = isPlainObject(existing) ? existing : {};
  target[head] = inner;
  // UsageEvent nests one level only; the rest of the path is the key, as tag names may hold dots.
  inner[path.slice(dot + 1)] = value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
