import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web build beside the sources (`src/dashboard` → `dist/web`) and in the package (`dist/dashboard` → `dist/web`). */
export const DEFAULT_WEB_ROOT = new URL('../../dist/web/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Headers every dashboard page and asset carries: no framing, no sniffing, scripts from this origin only. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** A file of the web build, or undefined when it is not there (or the path leaves the root). */
export async function webFile(root: URL, path: string): Promise<Response | undefined> {
  const base = resolve(fileURLToPath(root));
  let relative: string;
  try {
    relative = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  const file = resolve(base, `.${sep}${relative}`);
  if (!file.startsWith(base + sep)) return undefined;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return undefined;
  }
  const immutable = path.startsWith('/assets/');
  return new Response(new Uint8Array(body), {
    headers: {
      ...SECURITY_HEADERS,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // Assets carry a content hash in their names; the page itself must be revalidated.
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
  });
}

/** Shown at `/` when the SPA has not been built. */
export function notBuiltPage(root: URL): Response {
  return new Response(
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>Greenprint dashboard not built</title><main><h1>The dashboard is not built</h1><p>No web build in ${escapeHtml(fileURLToPath(root))}. Run <code>npm run build</code> (npm ci runs it) and reload. The JSON API under <code>/api/dashboard/</code> works without it.</p></main></html>`,
    { status: 503, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' } },
  );
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string,
  );
}
