import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayConfig } from './config.js';
import { GatewayError } from './gatewayError.js';
import { type GatewayEnv, type GatewayIdentity, internalCallOf } from './policy.js';

export interface AuthenticateOptions {
  keys: GatewayConfig['keys'];
  /**
   * Whether a key is needed when `keys` is empty. The caller sets it to true when the gateway listens
   * beyond loopback; with keys configured, a key is always needed.
   */
  requireKey: boolean;
}

/** Project of requests that carry no key, on a loopback gateway without keys. */
export const ANONYMOUS_PROJECT = 'default';

/** Accepted authorization header values remembered by `identify`. */
const MAX_REMEMBERED_KEYS = 1000;

/** SHA-256 of an API key, lower-case hex: the form `keys[].sha256` stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Who is calling, from the client's `authorization` and `x-api-key` headers; throws a GatewayError. */
export type Identify = (authorization: string | undefined, apiKey: string | undefined) => GatewayIdentity;

/**
 * Checks `Authorization: Bearer <key>` (or `x-api-key`, as Anthropic clients send it) against the
 * hashed keys and answers the key's project. The client's key is never forwarded.
 */
export function identify(options: AuthenticateOptions): Identify {
  const byHash = new Map(
    options.keys.map((k) => [k.sha256, { project: k.project, keyId: k.id } as GatewayIdentity]),
  );
  const anonymous: GatewayIdentity = { project: ANONYMOUS_PROJECT, keyId: undefined };
  if (byHash.size === 0 && !options.requireKey) return () => anonymous;
  const fix =
    byHash.size === 0
      ? ' This gateway listens beyond loopback and has no keys: add `keys` (sha256 of each key, project) to the gateway config.'
      : '';
  // Header values already checked, so that a repeat costs a lookup instead of a regex and a SHA-256.
  // Only accepted keys are kept, in memory and nowhere else, as many as MAX_REMEMBERED_KEYS.
  const accepted = new Map<string, GatewayIdentity>();
  return function identify(authorization, apiKey) {
    // Both headers: together they decide the identity.
    const presented = `${authorization ?? ''}\n${apiKey ?? ''}`;
    const seen = accepted.get(presented);
    if (seen) return seen;
    const key = clientKey(authorization, apiKey);
    if (!key) {
      throw new GatewayError(
        'missing_api_key',
        `No API key given. Send your Greenprint gateway key as "Authorization: Bearer <key>" (or "x-api-key").${fix}`,
      );
    }
    const identity = byHash.get(hashApiKey(key));
    if (!identity) {
      throw new GatewayError(
        'invalid_api_key',
        `The API key is not one of this gateway's keys. Use a key listed (as sha256) under \`keys\` in the gateway config, not the upstream provider's key.${fix}`,
      );
    }
    if (accepted.size >= MAX_REMEMBERED_KEYS) accepted.clear();
    accepted.set(presented, identity);
    return identity;
  };
}

/**
 * `identify` as Hono middleware: sets `c.var.greenprint` to the caller's identity, or to the project
 * an in-process caller (the Batch API) names in its environment binding.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<GatewayEnv> {
  const who = identify(options);
  return async function authenticate(c, next) {
    const internal = internalCallOf(c.env);
    c.set(
      'greenprint',
      internal
        ? { project: internal.project, keyId: undefined }
        : who(c.req.header('authorization'), c.req.header('x-api-key')),
    );
    return next();
  };
}

function clientKey(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  const bearer = authorization?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? (apiKey?.trim() || undefined);
}
