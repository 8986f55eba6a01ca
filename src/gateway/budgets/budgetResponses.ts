import { headerSafe } from '../footprint.js';
import { errorResponse, GatewayError, type Protocol } from '../gatewayError.js';
import type { PeriodWindow } from './periodWindow.js';

/** Response header naming the budget that refused a request. */
export const BUDGET_HEADER = 'x-greenprint-budget';

/** What a budget counts: location-based gCO2e (facility boundary) or list-price USD. */
export type BudgetUnit = 'gco2e' | 'usd';

const UNIT_LABEL: Record<BudgetUnit, string> = { gco2e: 'gCO2e', usd: 'USD' };

export interface Refusal {
  name: string;
  project: string;
  unit: BudgetUnit;
  limit: number;
  used: number;
  window: PeriodWindow;
}

/**
 * 429 for a request refused by a budget, in the caller's protocol: OpenAI's
 * `{error:{message,type:'budget_exceeded',code:'budget_exceeded',param:null}}` or Anthropic's
 * `{type:'error',error:{type:'rate_limit_error',message,code}}`, with `retry-after` (seconds until the
 * window resets, at least 1) and `x-greenprint-budget` (the budget's name).
 */
export function budgetExceededResponse(refusal: Refusal, now: number, protocol: Protocol): Response {
  const { name, project, unit, limit, used, window } = refusal;
  const retryAfter = Math.max(1, Math.ceil((window.resetsAt - now) / 1000));
  const message =
    `Budget "${name}" of project "${project}" is spent: ${figure(used)} of ${figure(limit)} ` +
    `${UNIT_LABEL[unit]} used this ${window.period}. It resets at ${new Date(window.resetsAt).toISOString()} ` +
    `(in ${retryAfter} s); retry then, or raise budgets[].${unit} of "${name}" in the gateway config.`;
  return errorResponse(new GatewayError('budget_exceeded', message), protocol, {
    'retry-after': String(retryAfter),
    [BUDGET_HEADER]: headerSafe(name, 200),
  });
}

/** 503 when budgets cannot be checked and the policy is told to refuse rather than admit unchecked. */
export function budgetUnavailableResponse(protocol: Protocol): Response {
  const message =
    'The gateway cannot check budgets: its budget store (Redis) is unreachable. Retry shortly; ' +
    'the operator can restore Redis or set the budget policy to admit while it is down.';
  return errorResponse(new GatewayError('budget_unavailable', message), protocol, { 'retry-after': '1' });
}

/** Four significant digits are enough to read; the exact counter is in the store. */
function figure(x: number): string {
  return String(Number(x.toPrecision(4)));
}
