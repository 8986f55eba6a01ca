import { describe, expect, it } from 'vitest';
import { isCacheable } from './isCacheable.js';

function call(json: Record<string, unknown> | undefined, header?: string, path = '/v1/chat/completions') {
  return {
    path,
    json,
    stream: json?.stream === true,
    headers: new Headers(header === undefined ? {} : { 'x-greenprint-cache': header }),
  };
}

const MESSAGES = [{ role: 'user', content: 'Hi' }];

describe('isCacheable', () => {
  it.each([
    ['temperature 0', call({ messages: MESSAGES, temperature: 0 }), true],
    ['temperature 0 with n 3', call({ messages: MESSAGES, temperature: 0, n: 3 }), true],
    [
      'temperature 0, completions',
      call({ prompt: 'Hi', temperature: 0 }, undefined, '/v1/completions'),
      true,
    ],
    ['embeddings', call({ input: 'Hi' }, undefined, '/v1/embeddings'), true],
    ['opted in, seeded', call({ messages: MESSAGES, temperature: 0.7, seed: 1 }, ' ON '), true],
    ['opted in, seeded, temperature absent', call({ messages: MESSAGES, seed: 1 }, 'on'), true],
    ['temperature 0.7', call({ messages: MESSAGES, temperature: 0.7 }), false],
    ['temperature absent (defaults to 1)', call({ messages: MESSAGES }), false],
    ['seeded without opting in', call({ messages: MESSAGES, temperature: 0.7, seed: 1 }), false],
    ['opted in without a seed', call({ messages: MESSAGES, temperature: 0.7 }, 'on'), false],
    ['opted in, seeded, n 2', call({ messages: MESSAGES, temperature: 0.7, seed: 1, n: 2 }, 'on'), false],
    ['opted out', call({ messages: MESSAGES, temperature: 0 }, 'off'), false],
    ['embeddings opted out', call({ input: 'Hi' }, 'off', '/v1/embeddings'), false],
    ['streaming', call({ messages: MESSAGES, temperature: 0, stream: true }, 'on'), false],
    ['another route', call({ prompt: 'a cat', temperature: 0 }, 'on', '/v1/images/generations'), false],
    ['anthropic messages', call({ messages: MESSAGES, temperature: 0 }, 'on', '/v1/messages'), false],
    ['multipart (no JSON)', call(undefined, 'on', '/v1/embeddings'), false],
  ])('%s → %s', (_name, input, expected) => {
    expect(isCacheable(input)).toBe(expected);
  });
});
