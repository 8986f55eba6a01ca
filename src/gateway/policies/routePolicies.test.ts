import { describe, expect, it } from 'vitest';
import { GreenprintError } from '../../core/index.js';
import { parseGatewayConfig } from '../config.js';
import { globPattern, routePoliciesSchema, routeTable, upstreamResolver } from './routePolicies.js';

const config = parseGatewayConfig({
  upstreams: [
    { name: 'oa', baseUrl: 'http://127.0.0.1:1/v1', provider: 'openai', models: ['gpt-4o', 'gpt-4o-mini'] },
    { name: 'an', kind: 'anthropic', baseUrl: 'http://127.0.0.1:2/v1', provider: 'anthropic', models: ['*'] },
  ],
});
const resolve = upstreamResolver(config);

describe('routePoliciesSchema', () => {
  it('fills the retry defaults and keeps what is given', () => {
    const [plain, partial] = routePoliciesSchema.parse([
      { match: '*' },
      { match: 'gpt-4o*', fallbacks: ['gpt-4o-mini'], retries: { attempts: 4 } },
    ]);
    expect(plain).toEqual({
      match: '*',
      fallbacks: [],
      retries: { attempts: 2, baseDelayMs: 200, maxDelayMs: 5000 },
    });
    expect(partial?.retries).toEqual({ attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 });
    expect(routePoliciesSchema.parse(undefined)).toEqual([]);
  });

  it('keeps a cascade with its JSON schema', () => {
    const [route] = routePoliciesSchema.parse([
      {
        match: 'auto',
        cascade: {
          models: ['gpt-4o-mini', 'gpt-4o'],
          escalateOn: ['invalid_json', 'too_short'],
          minChars: 20,
          jsonSchema: { type: 'object', required: ['answer'] },
        },
      },
    ]);
    expect(route?.cascade?.jsonSchema).toEqual({ type: 'object', required: ['answer'] });
  });

  it.each([
    ['an unknown key', [{ match: '*', fallback: ['x'] }], 'fallback'],
    [
      'too_short without minChars',
      [{ match: '*', cascade: { models: ['a', 'b'], escalateOn: ['too_short'] } }],
      'minChars',
    ],
    [
      'a one-model cascade',
      [{ match: '*', cascade: { models: ['a'], escalateOn: ['length'] } }],
      'at least two',
    ],
    [
      'an unknown rule',
      [{ match: '*', cascade: { models: ['a', 'b'], escalateOn: ['boring'] } }],
      'escalateOn',
    ],
    [
      'maxDelayMs below baseDelayMs',
      [{ match: '*', retries: { baseDelayMs: 500, maxDelayMs: 100 } }],
      'maxDelayMs',
    ],
    ['zero attempts', [{ match: '*', retries: { attempts: 0 } }], 'attempts'],
  ])('refuses %s', (_, raw, mentioned) => {
    const parsed = routePoliciesSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(mentioned);
  });
});

describe('routeTable', () => {
  it('answers the first route whose glob matches the requested or the aliased model', () => {
    const routes = routePoliciesSchema.parse([{ match: 'gpt-4o' }, { match: 'gpt-4o*' }, { match: '*' }]);
    const table = routeTable(routes, resolve);
    expect(table.find({ requestedModel: 'gpt-4o', model: 'gpt-4o' })).toBe(routes[0]);
    expect(table.find({ requestedModel: 'gpt-4o-mini', model: 'gpt-4o-mini' })).toBe(routes[1]);
    expect(table.find({ requestedModel: 'fast', model: 'gpt-4o-2024' })).toBe(routes[1]);
    expect(table.find({ requestedModel: 'claude', model: 'claude' })).toBe(routes[2]);
    expect(routeTable([], resolve).find({ requestedModel: 'x', model: 'x' })).toBeUndefined();
  });

  it('fails at creation, naming the entry, when a fallback or cascade model has no upstream', () => {
    const only = upstreamResolver({ upstreams: config.upstreams.filter((u) => u.name === 'oa') });
    const routes = routePoliciesSchema.parse([
      {
        match: '*',
        fallbacks: ['gpt-4o-mini'],
        cascade: { models: ['gpt-4o-mini', 'gpt-5'], escalateOn: ['length'] },
      },
    ]);
    expect(() => routeTable(routes, only)).toThrow(GreenprintError);
    expect(() => routeTable(routes, only)).toThrow(
      /routes\[0\]\.cascade\.models\[1\]: no upstream serves the model "gpt-5"/,
    );
    expect(() => routeTable(routes, resolve)).not.toThrow();
  });
});

describe('globPattern and upstreamResolver', () => {
  it('treats * and ? as wildcards and everything else literally', () => {
    expect(globPattern('gpt-4o*').test('gpt-4o-mini')).toBe(true);
    expect(globPattern('gpt-4o*').test('my-gpt-4o')).toBe(false);
    expect(globPattern('gpt-4.1').test('gpt-441')).toBe(false);
    expect(globPattern('o?-mini').test('o3-mini')).toBe(true);
    expect(globPattern('*').test('anything/at:all')).toBe(true);
    expect(globPattern('a+b(c)').test('a+b(c)')).toBe(true);
  });

  it('finds the upstream by model and wire protocol', () => {
    expect(resolve('gpt-4o', 'openai')?.name).toBe('oa');
    expect(resolve('gpt-4o', 'anthropic')?.name).toBe('an');
    expect(resolve('claude-x', 'openai')).toBeUndefined();
    expect(resolve('claude-x')?.name).toBe('an');
  });
});
