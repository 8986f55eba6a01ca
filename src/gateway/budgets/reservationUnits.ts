import { encode, encodeChat } from 'gpt-tokenizer';
import { imagesMeter, isRecord, speechMeter, type Units } from '../meters.js';
import type { GatewayCall } from '../policy.js';

type ChatMessage = Parameters<typeof encodeChat>[0][number];

/** Output tokens reserved for a request that sets no `max_tokens` (nor an equivalent). */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 1024;

/** Special-token markers in a prompt are text to count, not control tokens to refuse. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * The most a call can use, as far as its request tells, for the budget's reservation:
 * - chat and text completions: the prompt's tokens (o200k tokenizer, chat framing included; tool
 *   definitions counted as JSON text; chars/4 if the tokenizer fails), plus `max_completion_tokens`,
 *   `max_tokens` or `max_output_tokens` times `n` — or `defaultOutputTokens` when none is set, which
 *   is then no longer a bound;
 * - embeddings: the input's tokens; images: `n` at `size`; speech: the characters of `input`;
 * - anything else (transcriptions: the audio length is not known before the answer): undefined.
 * Image inputs of chat messages are not counted. Other tokenizers (Llama, Claude) differ from
 * o200k by some percent; the settlement corrects the difference.
 */
export function reservationUnits(call: GatewayCall, defaultOutputTokens: number): Units | undefined {
  const json = call.json;
  switch (call.operation) {
    case 'chat':
    case 'text_completion': {
      if (!json) return undefined;
      const output = maxOutputTokens(json) ?? defaultOutputTokens;
      const choices = call.protocol === 'openai' ? (count(json.n) ?? 1) : 1;
      return { inputTokens: promptTokens(json), outputTokens: output * Math.max(1, choices) };
    }
    case 'embeddings':
      return json ? { inputTokens: embeddingInputTokens(json.input) } : undefined;
    case 'image_generation':
      return imagesMeter.fromResponse?.(undefined, call);
    case 'audio_speech':
      return speechMeter.fromRequest?.(call);
    default:
      return undefined;
  }
}

/** Input tokens of a chat (OpenAI `messages`, Anthropic `system` + `messages`) or completion (`prompt`). */
export function promptTokens(json: Record<string, unknown>): number {
  const tools = json.tools ?? json.functions;
  const toolTokens = tools === undefined ? 0 : textTokens(JSON.stringify(tools));
  if (Array.isArray(json.messages)) {
    const messages: ChatMessage[] = [];
    if (json.system !== undefined) messages.push({ role: 'system', content: textOf(json.system) });
    for (const m of json.messages) {
      if (!isRecord(m)) continue;
      const calls = m.tool_calls === undefined ? '' : JSON.stringify(m.tool_calls);
      messages.push({
        role: typeof m.role === 'string' ? m.role : 'user',
        content: textOf(m.content) + calls,
        ...(typeof m.name === 'string' ? { name: m.name } : {}),
      });
    }
    return chatTokens(messages) + toolTokens;
  }
  const prompt = json.prompt;
  if (Array.isArray(prompt)) {
    return prompt.reduce<number>((sum, p) => sum + (typeof p === 'string' ? textTokens(p) : 1), 0);
  }
  return textTokens(textOf(prompt)) + toolTokens;
}

function maxOutputTokens(json: Record<string, unknown>): number | undefined {
  return count(json.max_completion_tokens) ?? count(json.max_tokens) ?? count(json.max_output_tokens);
}

function embeddingInputTokens(input: unknown): number {
  if (typeof input === 'string') return textTokens(input);
  if (!Array.isArray(input)) return 0;
  // An array of numbers is one pre-tokenized input; an array of arrays, several.
  return input.reduce<number>(
    (sum, item) =>
      sum + (typeof item === 'string' ? textTokens(item) : Array.isArray(item) ? item.length : 1),
    0,
  );
}

function chatTokens(messages: ChatMessage[]): number {
  try {
    return encodeChat(messages, 'gpt-4o', AS_TEXT).length;
  } catch {
    return messages.reduce((sum, m) => sum + roughTokens(m.content) + 4, 3);
  }
}

function textTokens(text: string): number {
  try {
    return encode(text, AS_TEXT).length;
  } catch {
    return roughTokens(text);
  }
}

/** About four characters per token for English text. */
function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The text of a message's content: a string, or the text of its parts (tool inputs as JSON). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (!isRecord(part)) continue;
    else if (typeof part.text === 'string') text += part.text;
    else if (part.content !== undefined) text += textOf(part.content);
    else if (part.input !== undefined) text += JSON.stringify(part.input);
  }
  return text;
}

function count(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : undefined;
}
