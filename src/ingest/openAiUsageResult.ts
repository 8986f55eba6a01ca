import type { Operation } from '../core/index.js';
import { isPlainObject, setField } from './fieldPaths.js';

/*
 * Result objects of the OpenAI organisation Usage API, one per bucket and group:
 * https://platform.openai.com/docs/api-reference/usage (completions, embeddings, images, audio_speeches,
 * audio_transcriptions). Every result has num_model_requests and, when grouped, model, project_id,
 * user_id, api_key_id; completions add batch and service_tier.
 */
interface ResultMapping {
  operation: (result: Record<string, unknown>) => Operation;
  /** Export field -> event field path. */
  quantities: Record<string, string>;
}

const RESULT_TYPES: Record<string, ResultMapping> = {
  'organization.usage.completions.result': {
    operation: () => 'chat',
    // input_tokens already includes the cached ones, as UsageEvent.inputTokens does. Audio tokens
    // (input_audio_tokens, output_audio_tokens) have no event field and are left out.
    quantities: {
      input_tokens: 'inputTokens',
      output_tokens: 'outputTokens',
      input_cached_tokens: 'cachedInputTokens',
    },
  },
  'organization.usage.embeddings.result': {
    operation: () => 'embeddings',
    quantities: { input_tokens: 'inputTokens' },
  },
  'organization.usage.images.result': {
    // source is image.generation, image.edit or image.variation; a variation starts from an image too.
    operation: (r) =>
      r.source === 'image.edit' || r.source === 'image.variation' ? 'image_edit' : 'image_generation',
    quantities: { images: 'images.count' },
  },
  'organization.usage.audio_speeches.result': {
    operation: () => 'audio_speech',
    quantities: { characters: 'audio.characters' },
  },
  'organization.usage.audio_transcriptions.result': {
    operation: () => 'audio_transcription',
    quantities: { seconds: 'audio.seconds' },
  },
};

/** Grouping fields kept as tags: they attribute usage but have no UsageEvent field of their own. */
const TAG_FIELDS = ['api_key_id', 'user_id', 'service_tier', 'batch'];

/** An event-shaped object for one result, why it cannot be imported, or `skip` for an all-zero result. */
export type MappedResult =
  | { value: Record<string, unknown>; sources: Record<string, string> }
  | { error: string }
  | { skip: true };

/**
 * Maps one Usage API result to an event: provider openai, operation from the result type, requests from
 * num_model_requests, startTime from the bucket (ISO-8601), project from project_id.
 */
export function mapUsageResult(result: unknown, startTime: string): MappedResult {
  if (!isPlainObject(result)) return { error: 'a result must be an object' };
  const type = String(result.object);
  const mapping = RESULT_TYPES[type];
  if (!mapping) {
    return {
      error: `result type ${type} is not imported; imported: ${Object.keys(RESULT_TYPES).join(', ')}`,
    };
  }
  const value: Record<string, unknown> = {
    provider: 'openai',
    operation: mapping.operation(result),
    startTime,
  };
  const sources: Record<string, string> = {};
  let anyUsage = result.num_model_requests !== 0;
  for (const [from, to] of Object.entries({ ...mapping.quantities, num_model_requests: 'requests' })) {
    const v = result[from];
    if (v === undefined || v === null) continue;
    if (v !== 0) anyUsage = true;
    setField(value, to, v);
    sources[to] = `field "${from}"`;
  }
  // A bucket lists groups with no traffic as zeros; like an empty line, there is nothing to record.
  if (!anyUsage) return { skip: true };
  if (typeof result.model === 'string') value.requestModel = result.model;
  else sources.requestModel = 'field "model" is null: export with group_by=model';
  if (typeof result.project_id === 'string') value.project = result.project_id;
  const size = typeof result.size === 'string' ? /^(\d+)x(\d+)$/.exec(result.size) : null;
  if (size && isPlainObject(value.images)) {
    setField(value, 'images.width', Number(size[1]));
    setField(value, 'images.height', Number(size[2]));
  }
  const tags: Record<string, string> = {};
  for (const field of TAG_FIELDS) {
    const v = result[field];
    if (typeof v === 'string' || typeof v === 'boolean') tags[field] = String(v);
  }
  if (Object.keys(tags).length > 0) value.tags = tags;
  return { value, sources };
}
