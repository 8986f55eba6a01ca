import { describe, expect, it } from 'vitest';
import { setJsonFields } from './setJsonFields.js';

const encode = (text: string) => new TextEncoder().encode(text);
const set = (body: string, fields: Record<string, number>) => {
  const out = setJsonFields(encode(body), fields);
  return out ? Buffer.from(out).toString('utf8') : undefined;
};

describe('setJsonFields', () => {
  it('replaces only the top-level value, keeping spacing, nesting, big numbers and other characters', () => {
    const body =
      '\uFEFF {\n "messages" : [{"role":"user","content":"\\"max_tokens\\": 9 Grüße 🌍","max_tokens":7}],' +
      ' "seed": 12345678901234567890, "max_tokens"\t:\t4096 ,"metadata":{"max_tokens":1}}';
    expect(set(body, { max_tokens: 100 })).toBe(
      body.replace('"max_tokens"\t:\t4096', '"max_tokens"\t:\t100'),
    );
  });

  it('adds missing keys first in the object, in an empty object too', () => {
    expect(set(' { "model" : "m" }', { max_tokens: 5 })).toBe(' {"max_tokens":5, "model" : "m" }');
    expect(set('{}', { a: 1, b: 2 })).toBe('{"a":1,"b":2}');
    expect(set('{"a":null}', { a: 3, b: 4 })).toBe('{"b":4,"a":3}');
  });

  it('finds escaped keys and every duplicate', () => {
    expect(set('{"max\\u005ftokens":900,"max_tokens":800}', { max_tokens: 10 })).toBe(
      '{"max\\u005ftokens":10,"max_tokens":10}',
    );
  });

  it('answers undefined for what is not a readable JSON object', () => {
    for (const body of ['[1]', '', '{"a":1', '{"a" 1}', '{"a":"x}', '{"a":[1,2}', '{"a":1 "b":2}']) {
      expect(set(body, { a: 1 }), body).toBeUndefined();
    }
  });
});
