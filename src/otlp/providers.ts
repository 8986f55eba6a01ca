/**
 * Provider names as instrumentations write them → Greenprint's provider names. Greenprint uses the
 * catalog's names (EcoLogits': openai, anthropic, google_genai, mistralai, cohere, huggingface_hub)
 * and otherwise the `gen_ai.provider.name` well-known values. Keys are lower case.
 */
const PROVIDER_ALIASES: ReadonlyMap<string, string> = new Map([
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  // Google: semconv `gcp.*`, OpenLIT `gemini`/`vertex_ai`/`google.ai.studio`, Vercel `google.*`.
  ['google_genai', 'google_genai'],
  ['gcp.gemini', 'google_genai'],
  ['gcp.gen_ai', 'google_genai'],
  ['gcp.vertex_ai', 'google_genai'],
  ['gemini', 'google_genai'],
  ['google', 'google_genai'],
  ['google.generative-ai', 'google_genai'],
  ['google.vertex', 'google_genai'],
  ['google.ai.studio', 'google_genai'],
  ['vertex_ai', 'google_genai'],
  ['vertexai', 'google_genai'],
  ['mistralai', 'mistralai'],
  ['mistral_ai', 'mistralai'],
  ['mistral', 'mistralai'],
  ['cohere', 'cohere'],
  ['huggingface_hub', 'huggingface_hub'],
  ['huggingface', 'huggingface_hub'],
  ['aws.bedrock', 'aws.bedrock'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['bedrock', 'aws.bedrock'],
  ['azure.ai.openai', 'azure.ai.openai'],
  ['az.ai.openai', 'azure.ai.openai'],
  ['azure', 'azure.ai.openai'],
  ['azure-openai', 'azure.ai.openai'],
  ['azure.ai.inference', 'azure.ai.inference'],
  ['az.ai.inference', 'azure.ai.inference'],
  ['x_ai', 'x_ai'],
  ['xai', 'x_ai'],
  ['deepseek', 'deepseek'],
  ['groq', 'groq'],
  ['perplexity', 'perplexity'],
  ['ibm.watsonx.ai', 'ibm.watsonx.ai'],
]);

/**
 * The model-type suffix the Vercel AI SDK appends to a provider's name in `ai.model.provider`
 * (`openai.chat`, `openai.responses`, `anthropic.messages`, `google.vertex.chat`, `my-vllm.completion`).
 */
const VERCEL_MODEL_TYPES: ReadonlySet<string> = new Set([
  'chat',
  'responses',
  'completion',
  'embedding',
  'image',
  'messages',
  'speech',
  'transcription',
  'reranking',
]);

/**
 * Normalises a provider name: a known alias maps to Greenprint's name (case-insensitive); a Vercel
 * `name.modelType` id loses its model type first. Unknown names, such as an `@ai-sdk/openai-compatible`
 * provider called `my-vllm`, stay as given.
 */
export function normalizeProvider(raw: string): string {
  const name = raw.trim();
  const known = PROVIDER_ALIASES.get(name.toLowerCase());
  if (known) return known;
  const dot = name.lastIndexOf('.');
  if (dot > 0 && VERCEL_MODEL_TYPES.has(name.slice(dot + 1).toLowerCase())) {
    return normalizeProvider(name.slice(0, dot));
  }
  return name;
}
