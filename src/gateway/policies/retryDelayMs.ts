export interface RetryDelayInput {
  /** 0 before the first retry of a model, 1 before the second … */
  retry: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Headers of the failed response; undefined after a network error or timeout. */
  headers: Headers | undefined;
  /** Epoch ms, to read a Retry-After date. */
  now: number;
  /** Uniform in [0, 1). */
  random: number;
}

/**
 * Milliseconds to wait before the next try: the upstream's own `retry-after-ms` or `Retry-After`
 * (seconds or an HTTP date) when it sent one, else exponential backoff `baseDelayMs · 2^retry` with
 * equal jitter (half fixed, half random, so retries of many clients spread out but never fire at
 * once); always capped at `maxDelayMs`.
 */
export function retryDelayMs(input: RetryDelayInput): number {
  const asked = input.headers ? retryAfterMs(input.headers, input.now) : undefined;
  if (asked !== undefined) return Math.min(input.maxDelayMs, asked);
  const ceiling = Math.min(input.maxDelayMs, input.baseDelayMs * 2 ** input.retry);
  return ceiling / 2 + (input.random * ceiling) / 2;
}

const NUMBER = /^\d+(\.\d+)?$/;

/** The wait an upstream asked for (ms): `retry-after-ms` (OpenAI), else `Retry-After`; undefined if none. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && NUMBER.test(ms)) return Number(ms);
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (NUMBER.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month; without letters, Date.parse would take '-5' as a year.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
