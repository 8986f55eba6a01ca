import { describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../config.js';
import { type CacheKeyInput, cacheKey, canonicalJson } from './cacheKey.js';

const MESSAGES = [
  { role: 'system', content: 'Answer in one word.' },
  { role: 'user', content: 'Capital of France?' },
];

function call(change: Partial<CacheKeyInput> = {}): CacheKeyInput {
  return {
    path: '/v1/chat/completions',
    search: '',
    upstream: { name: 'open' } as UpstreamConfig,
    model: 'gpt-4o-mini',
    json: { model: 'gpt-4o-mini', messages: MESSAGES, temperature: 0 },
    identity: { project: 'alpha', keyId: 'a' },
    ...change,
  };
}

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson('é"')).toBe('"é\\""');
  });
});

describe('cacheKey', () => {
  it('is the sha256 hex of the normalised request', () => {
    expect(cacheKey(call())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order or on the fields that do not change the answer', () => {
    const reordered = {
      temperature: 0,
      messages: MESSAGES.map(({ role, content }) => ({ content, role })),
      model: 'gpt-4o-mini',
      user: 'someone-else',
      metadata: { trace: '42' },
      stream: false,
      stream_options: { include_usage: true },
    };
    expect(cacheKey(call({ json: reordered }))).toBe(cacheKey(call()));
  });

  it('changes with the project, route, query, upstream, model and every other body field', () => {
    const base = cacheKey(call());
    const json = call().json ?? {};
    const variants: Partial<CacheKeyInput>[] = [
      { identity: { project: 'beta', keyId: 'b' } },
      { path: '/v1/completions' },
      { search: '?api-version=2024-10-21' },
      { upstream: { name: 'other' } as UpstreamConfig },
      { model: 'gpt-4o' },
      { json: { ...json, temperature: 0.2 } },
      { json: { ...json, seed: 7 } },
      { json: { ...json, max_tokens: 5 } },
      { json: { ...json, messages: [...MESSAGES].reverse() } },
      { json: { ...json, messages: [MESSAGES[0], { role: 'user', content: 'Capital of Spain?' }] } },
    ];
    const keys = variants.map((v) => cacheKey(call(v)));
    expect(keys).not.toContain(base);
    expect(new Set(keys).size).toBe(variants.length);
  });
});
