import { describe, expect, it } from 'vitest';
import { BUDGET_HEADER, budgetExceededResponse, periodWindow, type Refusal } from './index.js';

const now = Date.parse('2025-06-11T10:15:00Z');
const refusal: Refusal = {
  name: 'team-week',
  project: 'search',
  unit: 'gco2e',
  limit: 500,
  used: 512.3456,
  window: periodWindow('week', now),
};

describe('budgetExceededResponse', () => {
  it("answers 429 in OpenAI's error shape, with the seconds to the reset", async () => {
    const response = budgetExceededResponse(refusal, now, 'openai');
    expect(response.status).toBe(429);
    // Wednesday 10:15 to Monday 00:00 is 4 days 13 h 45 min.
    expect(response.headers.get('retry-after')).toBe(String(4 * 86_400 + 13 * 3600 + 45 * 60));
    expect(response.headers.get(BUDGET_HEADER)).toBe('team-week');
    expect(await response.json()).toEqual({
      error: {
        message:
          'Budget "team-week" of project "search" is spent: 512.3 of 500 gCO2e used this week. It resets at ' +
          '2025-06-16T00:00:00.000Z (in 395100 s); retry then, or raise budgets[].gco2e of "team-week" in the gateway config.',
        type: 'budget_exceeded',
        code: 'budget_exceeded',
        param: null,
      },
    });
  });

  it("answers Anthropic clients in Anthropic's error shape", async () => {
    const response = budgetExceededResponse(
      { ...refusal, unit: 'usd', limit: 20, used: 20.01 },
      now,
      'anthropic',
    );
    const body = (await response.json()) as { type: string; error: Record<string, string> };
    expect(body.type).toBe('error');
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'budget_exceeded' });
    expect(body.error.message).toContain('20.01 of 20 USD');
  });

  it('never asks to retry sooner than a second', () => {
    const window = periodWindow('hour', now);
    const response = budgetExceededResponse({ ...refusal, window }, window.resetsAt - 1, 'openai');
    expect(response.headers.get('retry-after')).toBe('1');
  });
});
