import { encodeChat as encodeChatCl100k } from 'gpt-tokenizer/model/gpt-4';
import { encodeChat as encodeChatO200k, encode as encodeO200k } from 'gpt-tokenizer/model/gpt-4o';
import { describe, expect, it } from 'vitest';
import { countInputTokens, tokenizerFor } from './index.js';

const count = (path: string, model: string, json: Record<string, unknown>) => {
  const counted = countInputTokens({ path, model, json });
  if (!counted) throw new Error(`no count for ${path}`);
  return counted;
};
const prompt = (model: string, text: unknown) => count('/v1/completions', model, { model, prompt: text });

/** gpt-tokenizer's README chat example. */
const README_CHAT = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'assistant', content: 'gpt-tokenizer is awesome.' },
];

describe('tokenizerFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base', false],
    ['gpt-4o-mini-2024-07-18', 'o200k_base', false],
    ['gpt-4.1-nano', 'o200k_base', false],
    ['gpt-5', 'o200k_base', false],
    ['o3-mini', 'o200k_base', false],
    ['o1', 'o200k_base', false],
    ['ft:gpt-4o-mini:acme::abc123', 'o200k_base', false],
    ['openai/gpt-4o', 'o200k_base', false],
    ['gpt-4', 'cl100k_base', false],
    ['gpt-4-turbo', 'cl100k_base', false],
    ['gpt-3.5-turbo', 'cl100k_base', false],
    ['text-embedding-3-small', 'cl100k_base', false],
    ['meta-llama/Llama-3.1-8B-Instruct', 'cl100k_base', true],
    ['mistral-large-latest', 'cl100k_base', true],
    ['omega-7b', 'cl100k_base', true],
  ])('%s → %s (approximate: %s)', (model, name, approximate) => {
    const choice = tokenizerFor(model);
    expect(choice.tokenizer.name).toBe(name);
    expect(choice.approximate).toBe(approximate);
  });
});

describe('countInputTokens: text', () => {
  it('counts known strings exactly in each vocabulary', () => {
    // 'hello world' is [24912, 2375] in o200k_base and [15339, 1917] in cl100k_base.
    expect(encodeO200k('hello world')).toEqual([24912, 2375]);
    expect(prompt('gpt-4o', 'hello world')).toMatchObject({ tokens: 2, tokenizer: 'o200k_base' });
    expect(prompt('gpt-4', 'hello world')).toMatchObject({ tokens: 2, tokenizer: 'cl100k_base' });
    // o200k_base's larger vocabulary holds Chinese words whole: 3 tokens against 6.
    expect(prompt('gpt-4o', '你好，世界').tokens).toBe(3);
    expect(prompt('gpt-4', '你好，世界').tokens).toBe(6);
  });

  it('counts special-token text as ordinary characters instead of failing', () => {
    expect(prompt('gpt-4o', '<|endoftext|>').tokens).toBe(7);
  });

  it('flags other vendors’ models as approximate, with a warning', () => {
    const counted = prompt('mistral-large-latest', 'hello world');
    expect(counted).toMatchObject({ tokens: 2, tokenizer: 'cl100k_base', approximate: true });
    expect(counted.warnings.map((w) => w.code)).toEqual(['approximate_tokenizer']);
    expect(prompt('gpt-4o', 'hello world').warnings).toEqual([]);
  });

  it('adds up a batch of prompts and keeps the longest; token ids count their length', () => {
    expect(prompt('gpt-4o', ['hello world', '你好，世界', ''])).toMatchObject({
      tokens: 5,
      longestTokens: 3,
    });
    expect(prompt('gpt-4o', [1, 2, 3, 4])).toMatchObject({ tokens: 4, longestTokens: 4 });
    expect(prompt('gpt-4o', [[1, 2], [3, 4, 5], []])).toMatchObject({ tokens: 5, longestTokens: 3 });
    expect(prompt('gpt-4o', [])).toMatchObject({ tokens: 0, longestTokens: 0 });
    expect(count('/v1/completions', 'gpt-4o', { prompt: 'hello', suffix: ' world' }).tokens).toBe(2);
  });

  it('counts embeddings input the same way', () => {
    const embed = (input: unknown) => count('/v1/embeddings', 'text-embedding-3-small', { input });
    expect(embed('hello world')).toMatchObject({ tokens: 2, longestTokens: 2, tokenizer: 'cl100k_base' });
    expect(embed(['hello world', '你好，世界'])).toMatchObject({ tokens: 8, longestTokens: 6 });
    expect(embed([[1, 2, 3], [4]])).toMatchObject({ tokens: 4, longestTokens: 3 });
  });

  it('has no count for routes without a text input, or without JSON', () => {
    expect(
      countInputTokens({ path: '/v1/images/generations', model: 'gpt-image-1', json: {} }),
    ).toBeUndefined();
    expect(
      countInputTokens({ path: '/v1/chat/completions', model: 'gpt-4o', json: undefined }),
    ).toBeUndefined();
  });
});

describe('countInputTokens: chat', () => {
  const chat = (model: string, json: Record<string, unknown>) => count('/v1/chat/completions', model, json);

  it('matches gpt-tokenizer’s chat encoding: 3 tokens per message plus its role, 3 to prime the reply', () => {
    // README example: content 6 + 7 tokens, roles 1 each, framing 3 per message, 3 for the reply.
    expect(encodeChatO200k(README_CHAT)).toHaveLength(24);
    expect(chat('gpt-4o', { messages: README_CHAT })).toMatchObject({ tokens: 24, tokenizer: 'o200k_base' });
    expect(chat('gpt-4', { messages: README_CHAT }).tokens).toBe(encodeChatCl100k(README_CHAT).length);
    expect(chat('gpt-4o', { messages: [] }).tokens).toBe(3);
    const long = [
      { role: 'developer', content: 'Answer in French.' },
      { role: 'user', content: '你好，世界 — how are you?\n\nTell me a <|endoftext|> story.' },
      { role: 'assistant', content: '' },
    ];
    expect(chat('gpt-4o', { messages: long }).tokens).toBe(
      encodeChatO200k(long, undefined, { disallowedSpecial: new Set() }).length,
    );
  });

  it('counts text parts, names and tool calls; images count nothing, with a warning', () => {
    const base = chat('gpt-4o', { messages: README_CHAT }).tokens;
    const parts = chat('gpt-4o', {
      messages: [
        README_CHAT[0],
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'gpt-tokenizer is awesome.' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(parts.tokens).toBe(base);
    expect(parts.warnings.map((w) => w.code)).toEqual(['uncounted_content']);
    // A name costs its tokens plus one (OpenAI's cookbook).
    const named = chat('gpt-4o', { messages: [{ ...README_CHAT[0], name: 'bob' }, README_CHAT[1]] });
    expect(named.tokens).toBe(base + 1 + 1);
    const called = chat('gpt-4o', {
      messages: [
        ...README_CHAT,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
      ],
    });
    // A third message: framing 3 + role 1 + name 'get_weather' 2 + arguments '{}' 1 + call overhead 3.
    expect(called.tokens).toBe(base + 3 + 1 + 2 + 1 + 3);
  });

  it('counts tool definitions with gpt-tokenizer’s function-calling estimate, with a warning', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Look up the weather for a city.',
          parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } },
        },
      },
    ];
    const base = chat('gpt-4o', { messages: README_CHAT }).tokens;
    const withTools = chat('gpt-4o', { messages: README_CHAT, tools });
    // "namespace functions { // Look up … type get_weather = (_: { city: string, }) => any; }" + 9.
    expect(withTools.tokens - base).toBe(
      encodeO200k(
        'namespace functions {\n\n// Look up the weather for a city.\ntype get_weather = (_: {\ncity: string,\n}) => any;\n\n} // namespace functions',
      ).length + 9,
    );
    expect(withTools.warnings.map((w) => w.code)).toEqual(['estimated_tools']);
  });

  it('counts a long chat exactly', () => {
    const words = 'Lean prompts save energy: send the passages a question needs, not the whole manual. ';
    const content = Array.from({ length: 1000 }, (_, i) => `${words}${i}`).join('\n');
    const counted = chat('gpt-4o', { messages: [{ role: 'user', content }] });
    expect(counted.tokens).toBe(encodeO200k(content).length + 3 + 1 + 3);
    expect(counted.tokens).toBeGreaterThan(10_000);
  });
});

describe('countInputTokens: Anthropic messages', () => {
  it('counts the text of system, messages and tool results with cl100k_base, as an approximation', () => {
    const counted = count('/v1/messages', 'claude-sonnet-4-5', {
      system: [{ type: 'text', text: 'hello world' }],
      messages: [
        { role: 'user', content: '你好，世界' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'hello world' },
            { type: 'tool_use', id: 't1', name: 'lookup', input: { q: 'x' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'hello world' }] },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
    });
    // 2 (system) + 6 + 2 + 'lookup' 1 + '{"q":"x"}' 5 + 2.
    expect(counted).toMatchObject({ tokens: 18, tokenizer: 'cl100k_base', approximate: true });
    expect(counted.warnings.map((w) => w.code)).toEqual(['approximate_tokenizer', 'uncounted_content']);
  });
});
