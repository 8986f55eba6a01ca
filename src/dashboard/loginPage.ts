import type { Context } from 'hono';
import { escapeHtml, SECURITY_HEADERS } from './serveWeb.js';

/**
 * The key form a browser gets instead of the dashboard when it has no valid key (401). Self-contained:
 * the app's assets need a key too. It posts to `/api/dashboard/session`, which sets the session cookie
 * and returns to the page asked for.
 */
export function loginPage(c: Context, message?: string, returnTo?: string): Response {
  const url = new URL(c.req.url);
  // The page asked for, or (after a refused sign-in) the one the form was going back to.
  const next = returnTo ?? (c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Greenprint dashboard</title>
<style>
  :root { color-scheme: light dark; --bg: #f7f8f6; --fg: #1b1f1c; --muted: #4a524c; --accent: #1f6f43; --card: #fff; --border: #c9cfca; --error: #a11d1d; }
  @media (prefers-color-scheme: dark) { :root { --bg: #131614; --fg: #e8ece9; --muted: #b4bcb6; --accent: #6fd39b; --card: #1c201d; --border: #3a413c; --error: #ff9c9c; } }
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
  main { max-width: 26rem; margin: 12vh auto; padding: 2rem; background: var(--card); border: 1px solid var(--border); border-radius: 8px; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; font-weight: 600; margin-bottom: .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid var(--muted); border-radius: 4px; background: var(--bg); color: var(--fg); }
  button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; font-weight: 600; color: var(--card); background: var(--accent); border: 0; border-radius: 4px; cursor: pointer; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  p { color: var(--muted); }
  [role=alert] { color: var(--error); font-weight: 600; }
</style>
</head>
<body>
<main>
<h1>Greenprint dashboard</h1>
<p>This dashboard is served beyond this machine, so it needs a dashboard key. Keys carry a role and may be limited to one project.</p>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/api/dashboard/session">
<label for="key">Dashboard key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>`;
  return new Response(html, {
    status: 401,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}
