import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryDelayMs } from './retryDelayMs.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const base = { baseDelayMs: 200, maxDelayMs: 5000, headers: undefined, now: NOW, random: 0 };

describe('retryDelayMs', () => {
  it('doubles per retry with equal jitter: between half and all of base·2^retry', () => {
    expect([0, 1, 2].map((retry) => retryDelayMs({ ...base, retry, random: 0 }))).toEqual([100, 200, 400]);
    expect([0, 1, 2].map((retry) => retryDelayMs({ ...base, retry, random: 0.999999 }))).toEqual([
      expect.closeTo(200, 3),
      expect.closeTo(400, 3),
      expect.closeTo(800, 3),
    ]);
  });

  it('never waits more than maxDelayMs', () => {
    expect(retryDelayMs({ ...base, retry: 10, random: 0.999999 })).toBeLessThanOrEqual(5000);
    const headers = new Headers({ 'retry-after': '120' });
    expect(retryDelayMs({ ...base, retry: 0, headers })).toBe(5000);
  });

  it('waits what the upstream asked for instead of the backoff', () => {
    expect(retryDelayMs({ ...base, retry: 3, headers: new Headers({ 'retry-after': '0.2' }) })).toBe(200);
  });

  it('falls back to the backoff when Retry-After is unreadable', () => {
    expect(retryDelayMs({ ...base, retry: 0, headers: new Headers({ 'retry-after': 'soon' }) })).toBe(100);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and OpenAI retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), NOW)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(NOW + 3000).toUTCString() }), NOW)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(NOW - 3000).toUTCString() }), NOW)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '1' }), NOW)).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '', 'retry-after': '1' }), NOW)).toBe(1000);
    expect(retryAfterMs(new Headers(), NOW)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': '-5' }), NOW)).toBeUndefined();
  });
});
