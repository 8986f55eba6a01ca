import { createHash } from 'node:crypto';
import type { GatewayCall } from '../policy.js';

/** Bumped when what goes into a key changes, so that old entries are never read under new rules. */
const KEY_VERSION = 'greenprint-cache/1';

/**
 * Body fields that do not change the answer: who asked (`user`, `metadata`) and how it is delivered
 * (`stream`, `stream_options`; only non-streaming requests are cached). Every other field counts,
 * including ones the gateway does not know.
 */
export const IGNORED_BODY_FIELDS: ReadonlySet<string> = new Set([
  'user',
  'metadata',
  'stream',
  'stream_options',
]);

/** What a cache key is made of. */
export type CacheKeyInput = Pick<GatewayCall, 'path' | 'search' | 'upstream' | 'model' | 'json' | 'identity'>;

/**
 * The cache key of a call, sha256 lower-case hex, over: the project (projects never share answers),
 * the route with its query string, the upstream's name, the model sent upstream (after aliases, so an
 * alias and its target share entries), and the canonical JSON of the body without
 * `IGNORED_BODY_FIELDS`: object keys sorted at every depth, array order kept.
 */
export function cacheKey(call: CacheKeyInput): string {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(call.json ?? {})) {
    if (!IGNORED_BODY_FIELDS.has(name)) body[name] = value;
  }
  const material = [
    KEY_VERSION,
    call.identity.project,
    call.path + call.search,
    call.upstream.name,
    call.model,
    canonicalJson(body),
  ];
  return createHash('sha256').update(JSON.stringify(material), 'utf8').digest('hex');
}

/**
 * JSON text of `value` that depends on its content only: object keys sorted (by UTF-16 code units) at
 * every depth, undefined members left out as JSON.stringify leaves them.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .flatMap((name) => {
        const member = (value as Record<string, unknown>)[name];
        return member === undefined ? [] : [`${JSON.stringify(name)}:${canonicalJson(member)}`];
      });
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
