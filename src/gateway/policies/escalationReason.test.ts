import { describe, expect, it } from 'vitest';
import { type EscalationCheck, escalationReason } from './escalationReason.js';

const ALL: EscalationCheck = { escalateOn: ['refusal', 'invalid_json', 'length', 'too_short'], minChars: 3 };

function completion(message: Record<string, unknown>, finish_reason = 'stop') {
  return { choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason }] };
}

describe('escalationReason', () => {
  it.each([
    ["I'm sorry, but no.", 'refusal'],
    ['I can’t do that.', 'refusal'],
    ['  as an AI language model…', 'refusal'],
    ['I am unable to comply.', 'refusal'],
    ['Ok', 'too_short'],
    ['Paris.', undefined],
    ['I cannoli', undefined],
  ])('%j → %s', (content, reason) => {
    expect(escalationReason(completion({ content }), ALL)).toBe(reason);
  });

  it('applies the rules in the configured order and only those', () => {
    const cut = completion({ content: 'I cannot' }, 'length');
    expect(escalationReason(cut, ALL)).toBe('refusal');
    expect(escalationReason(cut, { escalateOn: ['length', 'refusal'] })).toBe('length');
    expect(escalationReason(cut, { escalateOn: ['too_short'], minChars: 3 })).toBeUndefined();
  });

  it('checks JSON only when asked, with the required keys', () => {
    const json = { required: ['answer'] };
    expect(
      escalationReason(completion({ content: '{"answer": 1}' }), { escalateOn: ['invalid_json'], json }),
    ).toBeUndefined();
    expect(
      escalationReason(completion({ content: '{"other": 1}' }), { escalateOn: ['invalid_json'], json }),
    ).toBe('invalid_json');
    expect(
      escalationReason(completion({ content: '["answer"]' }), { escalateOn: ['invalid_json'], json }),
    ).toBe('invalid_json');
    expect(
      escalationReason(completion({ content: '```json\n{}\n```' }), {
        escalateOn: ['invalid_json'],
        json: { required: [] },
      }),
    ).toBe('invalid_json');
    expect(
      escalationReason(completion({ content: 'not json' }), { escalateOn: ['invalid_json'] }),
    ).toBeUndefined();
  });

  it('judges tool calls on refusal and length only, and content arrays by their text', () => {
    const tools = completion({ content: null, tool_calls: [{ id: 't', type: 'function' }] });
    expect(escalationReason(tools, { ...ALL, json: { required: [] } })).toBeUndefined();
    const parts = completion({
      content: [
        { type: 'text', text: 'Pa' },
        { type: 'text', text: 'ris' },
      ],
    });
    expect(escalationReason(parts, { escalateOn: ['too_short'], minChars: 5 })).toBeUndefined();
    expect(escalationReason(parts, { escalateOn: ['too_short'], minChars: 6 })).toBe('too_short');
  });

  it('escalates when any choice fails, and passes what is not a chat completion', () => {
    const two = {
      choices: [
        ...completion({ content: 'Fine.' }).choices,
        ...completion({ content: 'x' }, 'length').choices,
      ],
    };
    expect(escalationReason(two, { escalateOn: ['length'] })).toBe('length');
    expect(escalationReason({ error: 'x' }, ALL)).toBeUndefined();
    expect(escalationReason(undefined, ALL)).toBeUndefined();
  });
});
