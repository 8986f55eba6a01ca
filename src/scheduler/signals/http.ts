import { SignalSourceError } from './source.js';

export type Fetch = typeof globalThis.fetch;

/**
 * GETs JSON from a provider; any failure becomes a SignalSourceError naming the provider, the
 * status and whether a retry may help (429 and 5xx, and no response at all).
 */
export async function getJson(
  provider: string,
  fetchFn: Fetch,
  url: URL,
  headers: Record<string, string>,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchFn(url, { headers: { accept: 'application/json', ...headers } });
  } catch (cause) {
    throw new SignalSourceError(
      provider,
      `${provider}: no response from ${url.origin}${url.pathname} (${(cause as Error).message}).`,
      {
        retryable: true,
        cause,
      },
    );
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).slice(0, 300);
    const retryAfter = response.headers.get('retry-after');
    const hint =
      response.status === 401 || response.status === 403
        ? ' Check the credentials.'
        : response.status === 429
          ? ` Rate limited${retryAfter ? `; retry after ${retryAfter} s` : ''}.`
          : '';
    throw new SignalSourceError(
      provider,
      `${provider}: HTTP ${response.status} from ${url.pathname}${body ? `: ${body}` : ''}.${hint}`,
      {
        status: response.status,
        retryable: response.status === 429 || response.status >= 500,
        headers: retryAfter ? { 'retry-after': retryAfter } : {},
      },
    );
  }
  try {
    return await response.json();
  } catch (cause) {
    throw new SignalSourceError(provider, `${provider}: ${url.pathname} did not answer with JSON.`, {
      status: response.status,
      cause,
    });
  }
}

/** Reads a timestamp a provider sent; throws a SignalSourceError when it is not one. */
export function parseTime(provider: string, value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new SignalSourceError(
      provider,
      `${provider}: unreadable timestamp ${JSON.stringify(value)} in the response.`,
    );
  }
  return ms;
}

/** The response field as an array, or a SignalSourceError naming what was expected. */
export function arrayField(provider: string, body: unknown, field: string): unknown[] {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(value)) {
    throw new SignalSourceError(provider, `${provider}: the response has no "${field}" array.`);
  }
  return value;
}
