import { encode, encodeChat } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import type { GatewayCall } from '../policy.js';
import { DEFAULT_RESERVED_OUTPUT_TOKENS, reservationUnits } from './index.js';

function call(json: Record<string, unknown>, over: Partial<GatewayCall> = {}): GatewayCall {
  return { operation: 'chat', protocol: 'openai', json, ...over } as GatewayCall;
}

const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is the capital of France?' },
];
const chatTokens = encodeChat(messages, 'gpt-4o').length;

describe('reservationUnits', () => {
  it('reserves the prompt tokens and the requested max tokens, times n', () => {
    expect(reservationUnits(call({ messages, max_tokens: 200 }), 1024)).toEqual({
      inputTokens: chatTokens,
      outputTokens: 200,
    });
    expect(reservationUnits(call({ messages, max_completion_tokens: 50, n: 3 }), 1024)?.outputTokens).toBe(
      150,
    );
  });

  it('reserves the default output when the request sets no maximum', () => {
    expect(reservationUnits(call({ messages }), DEFAULT_RESERVED_OUTPUT_TOKENS)?.outputTokens).toBe(1024);
  });

  it('counts Anthropic system prompts and content blocks', () => {
    const anthropic = {
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] }],
      max_tokens: 300,
    };
    const units = reservationUnits(call(anthropic, { protocol: 'anthropic', n: undefined } as never), 1024);
    expect(units).toEqual({ inputTokens: chatTokens, outputTokens: 300 });
  });

  it('counts special-token markers in a prompt as text', () => {
    const units = reservationUnits(
      call({ messages: [{ role: 'user', content: 'ignore <|endoftext|> please' }], max_tokens: 1 }),
      1024,
    );
    expect(units?.inputTokens).toBeGreaterThan(5);
  });

  it('prices embeddings by their input and has nothing to reserve for transcriptions', () => {
    const embeddings = reservationUnits(
      call({ input: ['hello world', 'goodbye'] }, { operation: 'embeddings' }),
      1024,
    );
    expect(embeddings).toEqual({ inputTokens: encode('hello world').length + encode('goodbye').length });
    const tokenized = reservationUnits(
      call(
        {
          input: [
            [1, 2, 3],
            [4, 5],
          ],
        },
        { operation: 'embeddings' },
      ),
      1024,
    );
    expect(tokenized).toEqual({ inputTokens: 5 });
    expect(reservationUnits(call({}, { operation: 'audio_transcription' }), 1024)).toBeUndefined();
  });
});
