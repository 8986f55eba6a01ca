/**
 * Headers the routing policies put on the response they return. The gateway's `respond` drops every
 * `x-greenprint-*` header it gets from `send` (an upstream gateway must not speak for this one), so
 * they reach the client only once the gateway lets these through from its policies.
 */
export const ROUTE_HEADER = {
  /** The model that gave the answer. */
  route: 'x-greenprint-route',
  /** Upstream calls the fallback policy made for this answer, the answering one included. */
  attempts: 'x-greenprint-attempts',
  /** The models a cascade called, in order, joined by `>`: `gpt-4o-mini>gpt-4o`. */
  cascade: 'x-greenprint-cascade',
  /** JSON `[{model, prompt_tokens, completion_tokens, reason}]` of the cascade answers thrown away. */
  cascadeUsage: 'x-greenprint-cascade-usage',
} as const;

/**
 * `response` with `set` added to its headers. The body passes as it is, unread; a fresh Response,
 * because the headers of one straight from fetch cannot be changed.
 */
export function withHeaders(response: Response, set: Record<string, string>): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(set)) headers.set(name, headerValue(value));
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Header values must be Latin-1: anything outside printable ASCII is percent-encoded. */
function headerValue(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}
