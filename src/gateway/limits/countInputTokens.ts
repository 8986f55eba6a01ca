import {
  type ChatCompletionFunctionDefinition,
  estimateTokensInFunctions,
} from 'gpt-tokenizer/functionCalling';
import { isRecord } from '../meters.js';
import type { GatewayCall } from '../policy.js';
import { FALLBACK_TOKENIZER, type Tokenizer, type TokenizerName, tokenizerFor } from './tokenizerFor.js';

/** Why a count is less than exact. */
export type TokenCountWarningCode =
  /** Not the model's own tokenizer (another vendor's model, or Anthropic's protocol). */
  | 'approximate_tokenizer'
  /** Images, audio or files in the input, whose tokens cannot be known from the request alone. */
  | 'uncounted_content'
  /** Tool definitions, counted with gpt-tokenizer's estimate of how OpenAI renders them. */
  | 'estimated_tools';

export interface TokenCountWarning {
  code: TokenCountWarningCode;
  message: string;
}

/** The input tokens of one request. */
export interface InputTokenCount {
  /** Input tokens of the whole request: every prompt of a batch (completions, embeddings) added up. */
  tokens: number;
  /** Tokens of the longest single sequence, the one a context window must hold; `tokens` for chat. */
  longestTokens: number;
  tokenizer: TokenizerName;
  /** True when `tokenizer` is a stand-in for the model's own; see `warnings`. */
  approximate: boolean;
  warnings: TokenCountWarning[];
}

/** gpt-tokenizer's (and OpenAI's cookbook's) extra token for a message's `name`. */
const TOKENS_PER_NAME = 1;
/** gpt-tokenizer's overhead for a function call an assistant message carries. */
const TOKENS_PER_FUNCTION_CALL = 3;

/**
 * Input tokens of a call's JSON body, counted offline with OpenAI's BPE vocabularies (gpt-tokenizer):
 * - `/v1/chat/completions`: every message in the ChatML framing of gpt-tokenizer's `encodeChat` (per
 *   message its role, content and framing tokens, plus the tokens that prime the reply), names, tool
 *   calls, and tool definitions;
 * - `/v1/completions`: `prompt` (and `suffix`), a string, an array of strings, or token ids;
 * - `/v1/embeddings`: `input`, a string, an array of strings, or token ids (their length);
 * - `/v1/messages` (Anthropic): the text of `system`, the messages and the tools, with cl100k_base.
 * gpt-4o, 4.1, 4.5, 5 and the o-series use o200k_base; gpt-4, gpt-3.5 and every model of another
 * vendor use cl100k_base, an approximation for the latter (`approximate`, with a warning). Images,
 * audio and files count 0 tokens, with a warning. Undefined for other routes and multipart bodies.
 */
export function countInputTokens(
  call: Pick<GatewayCall, 'path' | 'model' | 'json'>,
): InputTokenCount | undefined {
  const json = call.json;
  if (!json) return undefined;
  const warnings = new Warnings();
  if (call.path === '/v1/messages') {
    warnings.add(
      'approximate_tokenizer',
      'Anthropic publishes no tokenizer: counted with cl100k_base, an approximation.',
    );
    const tokens = countAnthropic(json, FALLBACK_TOKENIZER, warnings);
    return result(tokens, tokens, FALLBACK_TOKENIZER, true, warnings);
  }
  const { tokenizer, approximate } = tokenizerFor(call.model);
  if (approximate) {
    warnings.add(
      'approximate_tokenizer',
      `"${call.model}" is not an OpenAI model: counted with cl100k_base; its own tokenizer differs.`,
    );
  }
  switch (call.path) {
    case '/v1/chat/completions': {
      const tokens = countChat(json, tokenizer, warnings);
      return result(tokens, tokens, tokenizer, approximate, warnings);
    }
    case '/v1/completions': {
      const prompts = countSequences(json.prompt, tokenizer);
      const suffix = typeof json.suffix === 'string' ? tokenizer.count(json.suffix) : 0;
      return result(prompts.total + suffix, prompts.longest + suffix, tokenizer, approximate, warnings);
    }
    case '/v1/embeddings': {
      const inputs = countSequences(json.input, tokenizer);
      return result(inputs.total, inputs.longest, tokenizer, approximate, warnings);
    }
    default:
      return undefined;
  }
}

function result(
  tokens: number,
  longestTokens: number,
  tokenizer: Tokenizer,
  approximate: boolean,
  warnings: Warnings,
): InputTokenCount {
  return { tokens, longestTokens, tokenizer: tokenizer.name, approximate, warnings: warnings.list };
}

/** Warnings, one per code. */
class Warnings {
  readonly list: TokenCountWarning[] = [];

  add(code: TokenCountWarningCode, message: string): void {
    if (!this.list.some((w) => w.code === code)) this.list.push({ code, message });
  }
}

function countChat(json: Record<string, unknown>, tk: Tokenizer, warnings: Warnings): number {
  let tokens = tk.tokensPerReply;
  for (const message of Array.isArray(json.messages) ? json.messages : []) {
    if (!isRecord(message)) continue;
    tokens += tk.tokensPerMessage + tk.count(text(message.role));
    tokens += countOpenAIContent(message.content, tk, warnings);
    if (typeof message.name === 'string' && message.name !== '') {
      tokens += tk.count(message.name) + TOKENS_PER_NAME;
    }
    const calls = [
      ...(Array.isArray(message.tool_calls) ? message.tool_calls : []),
      ...(isRecord(message.function_call) ? [{ function: message.function_call }] : []),
    ];
    for (const call of calls) {
      const fn = isRecord(call) && isRecord(call.function) ? call.function : {};
      tokens += tk.count(text(fn.name)) + tk.count(text(fn.arguments)) + TOKENS_PER_FUNCTION_CALL;
    }
  }
  const functions = functionDefinitions(json);
  if (functions.length > 0) {
    warnings.add(
      'estimated_tools',
      'Tool definitions are counted as gpt-tokenizer renders them; OpenAI does not document its format.',
    );
    tokens += countFunctions(functions, tk);
  }
  return tokens;
}

/** A string content, or the text of its parts; other parts (images, audio, files) count nothing. */
function countOpenAIContent(content: unknown, tk: Tokenizer, warnings: Warnings): number {
  if (typeof content === 'string') return tk.count(content);
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const part of content) {
    if (typeof part === 'string') tokens += tk.count(part);
    else if (isRecord(part) && part.type === 'text') tokens += tk.count(text(part.text));
    else if (isRecord(part) && part.type === 'refusal') tokens += tk.count(text(part.refusal));
    else uncounted(part, warnings);
  }
  return tokens;
}

/** `tools` (type function) and the older `functions`, as gpt-tokenizer's definitions. */
function functionDefinitions(json: Record<string, unknown>): ChatCompletionFunctionDefinition[] {
  const tools = Array.isArray(json.tools) ? json.tools : [];
  const functions = Array.isArray(json.functions) ? json.functions : [];
  return [...tools.map((t) => (isRecord(t) ? t.function : undefined)), ...functions].filter(
    (f): f is ChatCompletionFunctionDefinition => isRecord(f) && typeof f.name === 'string',
  );
}

function countFunctions(functions: ChatCompletionFunctionDefinition[], tk: Tokenizer): number {
  try {
    return estimateTokensInFunctions(functions, tk.count);
  } catch {
    // A schema gpt-tokenizer cannot render (a property that is not an object): its JSON text instead.
    return tk.count(JSON.stringify(functions));
  }
}

/** A string, an array of strings, token ids, or arrays of token ids: the sum, and the longest one. */
function countSequences(value: unknown, tk: Tokenizer): { total: number; longest: number } {
  const items = Array.isArray(value) && !value.every((v) => typeof v === 'number') ? value : [value];
  let total = 0;
  let longest = 0;
  for (const item of items) {
    const tokens = typeof item === 'string' ? tk.count(item) : Array.isArray(item) ? item.length : 0;
    total += tokens;
    longest = Math.max(longest, tokens);
  }
  return { total, longest };
}

function countAnthropic(json: Record<string, unknown>, tk: Tokenizer, warnings: Warnings): number {
  let tokens = countAnthropicContent(json.system, tk, warnings);
  for (const message of Array.isArray(json.messages) ? json.messages : []) {
    if (isRecord(message)) tokens += countAnthropicContent(message.content, tk, warnings);
  }
  if (Array.isArray(json.tools) && json.tools.length > 0) {
    warnings.add('estimated_tools', 'Tool definitions are counted as their JSON text.');
    tokens += tk.count(JSON.stringify(json.tools));
  }
  return tokens;
}

/** A string, or content blocks: text, thinking, tool calls (name and input) and tool results. */
function countAnthropicContent(content: unknown, tk: Tokenizer, warnings: Warnings): number {
  if (typeof content === 'string') return tk.count(content);
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text') tokens += tk.count(text(block.text));
    else if (block.type === 'thinking') tokens += tk.count(text(block.thinking));
    else if (block.type === 'tool_use') tokens += tk.count(text(block.name)) + countJson(block.input, tk);
    else if (block.type === 'tool_result') tokens += countAnthropicContent(block.content, tk, warnings);
    else uncounted(block, warnings);
  }
  return tokens;
}

function countJson(value: unknown, tk: Tokenizer): number {
  return value === undefined ? 0 : tk.count(JSON.stringify(value));
}

function uncounted(part: unknown, warnings: Warnings): void {
  const type = isRecord(part) && typeof part.type === 'string' ? part.type : typeof part;
  warnings.add(
    'uncounted_content',
    `Content such as "${type}" (images, audio, files) counts 0 tokens: its cost depends on what it holds.`,
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
