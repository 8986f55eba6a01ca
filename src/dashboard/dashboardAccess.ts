import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { GreenprintError } from '../core/index.js';
import { hashApiKey } from '../gateway/index.js';
import type { Principal } from './filters.js';

export const DASHBOARD_ROLES = ['read', 'admin'] as const;
export type DashboardRole = (typeof DASHBOARD_ROLES)[number];

/** One dashboard key as configured: its SHA-256 (see `hashApiKey`), role and optional project scope. */
export const dashboardKeySchema = z
  .object({
    /** SHA-256 of the key, lower-case hex: keys are stored hashed, never in clear. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits (see hashApiKey)'),
    /** `read`: every view; `admin`: also the event-level export. */
    role: z.enum(DASHBOARD_ROLES),
    /** When set, the key sees this project's rows only. */
    project: z.string().min(1).optional(),
  })
  .strict();
export type DashboardKey = z.infer<typeof dashboardKeySchema>;

/**
 * Who may read the dashboard: `{ open: true }` on loopback (no login), `{ keys }` anywhere else.
 * With keys, every page, asset and API call needs one (Bearer, `x-api-key`, or the session cookie the
 * login form sets), and a project-scoped key has its project forced onto every query.
 */
export type DashboardAccess = { open: true } | { keys: readonly DashboardKey[] };

/** The access a server listening on `host` must use: open on loopback, keyed elsewhere. */
export function dashboardAccessFor(host: string, keys: readonly DashboardKey[]): DashboardAccess {
  const loopback = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  return loopback ? { open: true } : { keys };
}

/** Cookie holding the key after a login; HttpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'greenprint_dashboard';

export interface DashboardEnv {
  Variables: { principal: Principal };
}

/** Index of configured keys by hash; validates the configuration once, at start-up. */
export function keyIndex(access: DashboardAccess): Map<string, DashboardKey> | null {
  if ('open' in access) return null;
  const parsed = z.array(dashboardKeySchema).safeParse(access.keys);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GreenprintError(
      'invalid_input',
      `Invalid dashboard access key at keys[${issue?.path.join('.')}]: ${issue?.message}.`,
    );
  }
  return new Map(parsed.data.map((k) => [k.sha256, k]));
}

/** The key a request carries: `Authorization: Bearer`, `x-api-key`, or the session cookie. */
export function presentedKey(c: Context): string | undefined {
  const bearer = c.req.header('authorization')?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? (c.req.header('x-api-key')?.trim() || getCookie(c, SESSION_COOKIE) || undefined);
}

/** The principal behind a key, or undefined when the key is not one of the configured ones. */
export function principalOf(keys: Map<string, DashboardKey>, key: string): Principal | undefined {
  const entry = keys.get(hashApiKey(key));
  if (!entry) return undefined;
  return { role: entry.role, open: false, ...(entry.project ? { project: entry.project } : {}) };
}

/**
 * Sets `c.var.principal`, or refuses: an HTML page request gets the login form (401), anything else a
 * 401 error. On open access every caller is an unscoped admin.
 */
export function dashboardAccess(
  access: DashboardAccess,
  loginPage: (c: Context, message?: string) => Response,
): MiddlewareHandler<DashboardEnv> {
  const keys = keyIndex(access);
  return async function dashboardAccess(c, next) {
    if (!keys) {
      c.set('principal', { role: 'admin', open: true });
      return next();
    }
    const key = presentedKey(c);
    const principal = key ? principalOf(keys, key) : undefined;
    if (principal) {
      c.set('principal', principal);
      return next();
    }
    const page =
      c.req.method === 'GET' && !c.req.path.startsWith('/api/') && !c.req.path.startsWith('/assets/');
    const message = key
      ? 'That key is not one of this dashboard’s keys.'
      : keys.size === 0
        ? 'This dashboard listens beyond loopback and has no keys configured: add dashboard keys (sha256, role, project) to the server config.'
        : 'This dashboard needs a key.';
    if (page) return loginPage(c, key ? message : keys.size === 0 ? message : undefined);
    throw new HTTPException(401, {
      message: `${message} Send it as "Authorization: Bearer <key>" or log in at /.`,
    });
  };
}

/** Refuses a principal below `role` (403). */
export function requireRole(principal: Principal, role: DashboardRole): void {
  if (role === 'admin' && principal.role !== 'admin') {
    throw new HTTPException(403, { message: 'This view needs an admin key; this key has the read role.' });
  }
}
