import type { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import cl100k from 'gpt-tokenizer/model/gpt-4';
import o200k from 'gpt-tokenizer/model/gpt-4o';

/** The BPE vocabularies the gateway counts with (OpenAI's, from gpt-tokenizer's offline ranks). */
export type TokenizerName = 'o200k_base' | 'cl100k_base';

/** Counts tokens of one vocabulary, with the ChatML framing its OpenAI chat models add. */
export interface Tokenizer {
  readonly name: TokenizerName;
  /** Tokens of `text` as ordinary text: `<|endoftext|>` and other special-token text count as characters. */
  count(text: string): number;
  /** Tokens around each chat message besides its role and content: `<|im_start|>`, `<|im_sep|>`, `<|im_end|>`. */
  readonly tokensPerMessage: number;
  /** Tokens that prime every reply: `<|im_start|>assistant<|im_sep|>`. */
  readonly tokensPerReply: number;
}

/** The chosen tokenizer, and whether it is the model's own or a stand-in for another vendor's. */
export interface TokenizerChoice {
  tokenizer: Tokenizer;
  /** True when the model is not an OpenAI one: its own tokenizer differs, so counts are estimates. */
  approximate: boolean;
}

// OpenAI never lets prompt text become a special token: encode it as the characters it is.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * The framing is read off gpt-tokenizer's own chat encoding once, so counts follow the library's
 * documented format (OpenAI's cookbook: 3 tokens per message plus its role, 3 to prime the reply).
 */
function tokenizerOf(name: TokenizerName, encoding: GptEncoding): Tokenizer {
  const count = (text: string) => (text === '' ? 0 : encoding.countTokens(text, AS_TEXT));
  const tokensPerReply = encoding.encodeChat([]).length;
  const tokensPerMessage =
    encoding.encodeChat([{ role: 'user', content: '' }]).length - tokensPerReply - count('user');
  return { name, count, tokensPerMessage, tokensPerReply };
}

const O200K = tokenizerOf('o200k_base', o200k);
const CL100K = tokenizerOf('cl100k_base', cl100k);

/** OpenAI families on o200k_base: GPT-4o, GPT-4.1, GPT-4.5, GPT-5, the o-series and what came after. */
const O200K_MODELS =
  /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d(?:$|-)|gpt-oss|codex-|computer-use|gpt-realtime|gpt-audio|gpt-image|omni-moderation)/;
/** OpenAI families on cl100k_base: GPT-4 (turbo included), GPT-3.5 and the embedding models. */
const CL100K_MODELS =
  /^(?:gpt-4(?:$|-)|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002|davinci-002|babbage-002)/;

/**
 * The tokenizer for `model` (the name sent upstream). OpenAI models get their own vocabulary; any other
 * model (Llama, Mistral, Claude, Gemini …) is counted with cl100k_base, flagged `approximate`: their
 * vocabularies differ, so the count can be off either way, most on non-English text and code.
 * Fine-tunes (`ft:gpt-4o-mini:…`) and provider prefixes (`openai/gpt-4o`) count as their base model.
 */
export function tokenizerFor(model: string): TokenizerChoice {
  const base = (model.toLowerCase().replace(/^ft:/, '').split('/').pop() ?? '').trim();
  if (O200K_MODELS.test(base)) return { tokenizer: O200K, approximate: false };
  if (CL100K_MODELS.test(base)) return { tokenizer: CL100K, approximate: false };
  return { tokenizer: CL100K, approximate: true };
}

/** cl100k_base, for protocols whose vendor publishes no tokenizer (Anthropic): always an estimate. */
export const FALLBACK_TOKENIZER: Tokenizer = CL100K;
