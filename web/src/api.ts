import { FILTER_DIMENSIONS } from '../../src/dashboard/apiTypes.js';

/** Query parameters the dashboard keeps in the page URL and passes to every view. */
export const FILTER_KEYS = ['from', 'to', ...FILTER_DIMENSIONS] as const;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The filters currently in the page URL. */
export function pageFilters(): URLSearchParams {
  const here = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = here.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

/** `/api/dashboard/<view>?<params>`. */
export function apiUrl(view: string, params: URLSearchParams = new URLSearchParams()): string {
  const q = params.toString();
  return `/api/dashboard/${view}${q ? `?${q}` : ''}`;
}

/** GETs a view; a lost session sends the browser back through the login page. */
export async function getJson<T>(view: string, params?: URLSearchParams): Promise<T> {
  const response = await fetch(apiUrl(view, params), { headers: { accept: 'application/json' } });
  if (response.status === 401) {
    location.reload();
    throw new ApiError(401, 'Your session has ended; sign in again.');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new ApiError(response.status, body?.error?.message ?? `The server answered ${response.status}.`);
  }
  return (await response.json()) as T;
}
