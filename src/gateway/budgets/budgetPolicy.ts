import { type Estimator, GreenprintError } from '../../core/index.js';
import type { GatewayConfig } from '../config.js';
import { estimateFootprint, type Footprint, usageEventOf } from '../footprint.js';
import type { GatewayCall, GatewayPolicy } from '../policy.js';
import {
  type BudgetUnit,
  budgetExceededResponse,
  budgetUnavailableResponse,
  type Refusal,
} from './budgetResponses.js';
import type { BudgetStore, Reservation } from './budgetStore.js';
import { type PeriodWindow, periodWindow } from './periodWindow.js';
import { DEFAULT_RESERVED_OUTPUT_TOKENS, reservationUnits } from './reservationUnits.js';

/** One entry of the config's `budgets`. */
export type BudgetConfig = GatewayConfig['budgets'][number];

export interface BudgetPolicyOptions {
  /** Where the counters live: MemoryBudgetStore for one gateway, RedisBudgetStore for replicas. */
  store: BudgetStore;
  /** Prices each reservation; use the gateway's own, so reservations and settlements agree. */
  estimator: Estimator;
  /** Clock, epoch ms, that picks the period window; default Date.now. */
  now?: () => number;
  /** Output tokens reserved when a request sets no max tokens; default 1024. */
  defaultOutputTokens?: number;
  /**
   * When the store fails (Redis unreachable or slower than its command timeout): `admit` (default)
   * lets requests through unchecked, with a warning when the store goes and when it comes back;
   * `refuse` answers 503 `budget_unavailable`.
   */
  whenStoreFails?: 'admit' | 'refuse';
  /** Operator warnings (store down and back, calls the budgets cannot price); default console.warn. */
  onWarning?: (message: string) => void;
}

/** A budget's counter in the current window (the same figures a refusal names). */
export type BudgetUsage = Refusal;

export interface BudgetPolicy {
  /** Reserves before the upstream call and refuses with 429 when a budget is spent; put it first. */
  policy: GatewayPolicy;
  /** Settles each metered call's reservation to its footprint; pass it in the gateway's `observers`. */
  observer: (call: GatewayCall, footprint: Footprint) => void;
  /** Every budget's counter (of one project, when given) in the window that holds now. */
  usage(project?: string): Promise<BudgetUsage[]>;
}

/** Counters live this long past their window's end, so that calls still running at the reset settle. */
const KEY_GRACE_SECONDS = 3600;

interface Limit {
  budget: BudgetConfig;
  unit: BudgetUnit;
  limit: number;
}

interface Hold extends Limit {
  key: string;
  window: PeriodWindow;
  amount: number;
}

/** A call's holds: `held` until its first footprint settles them, or they are released unused. */
interface Ledger {
  holds: Hold[];
  state: 'held' | 'released' | 'settled';
}

/**
 * Carbon (gCO2e, location-based, facility boundary) and cost (list-price USD) budgets per project and
 * UTC period, enforced by reserve-then-settle:
 *
 * 1. Before the upstream call, the call's reservation is priced with the estimator from the request:
 *    the prompt's tokens plus the requested max output tokens (see `reservationUnits`), at the
 *    estimate's **mid** value — the same figure the settlement books, so a reservation bounds its
 *    settlement whenever the answer stays within the request's max tokens. (The `high` end of the
 *    uncertainty range is about six times the mid: it would bound a different quantity, and make a
 *    burst of requests stop at a sixth of the budget.)
 * 2. The reservation is added to every budget of the project, all or nothing. A budget admits while its
 *    counter is below its limit (`used < limit`, see BudgetStore), so concurrent requests — across
 *    replicas sharing Redis too — end at most one request past the limit, the one admitted last.
 *    A refusal answers 429 (`budgetExceededResponse`) without calling the upstream.
 * 3. When the answer is metered, `observer` adds actual − reserved. An answer that is an error, has no
 *    body, or ends without being metered (no usage reported, client gone before usage arrived, broken
 *    stream) releases its reservation; so does a thrown error.
 *
 * Calls are matched to their reservation by the GatewayCall object, so put this policy before any
 * policy that replaces the call. A call may be metered more than once — a cascade meters each answer it
 * discards, then the one it returns — and every footprint is charged. A reservation is not a bound when the request sets no max tokens (the default
 * is reserved) or sends images in chat messages (not counted): such calls can pass the limit by more.
 */
export function budgetPolicy(budgets: readonly BudgetConfig[], options: BudgetPolicyOptions): BudgetPolicy {
  const { store, estimator } = options;
  const now = options.now ?? Date.now;
  const defaultOutputTokens = options.defaultOutputTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS;
  const admitWhenStoreFails = (options.whenStoreFails ?? 'admit') === 'admit';
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const limitsByProject = limitsOf(budgets);
  const ledgers = new WeakMap<GatewayCall, Ledger>();

  const warned = new Set<string>();
  const warnOnce = (message: string) => {
    if (warned.has(message) || warned.size > 1000) return;
    warned.add(message);
    warn(message);
  };
  let storeUp = true;
  const storeFailed = (error: unknown) => {
    if (!storeUp) return;
    storeUp = false;
    const then = admitWhenStoreFails ? 'admitting requests unchecked' : 'refusing requests with 503';
    const reason = error instanceof Error ? error.message : String(error);
    warn(`Budget store failed (${reason}); ${then} until it answers again.`);
  };
  const storeAnswered = () => {
    if (storeUp) return;
    storeUp = true;
    warn('Budget store answers again; budgets are enforced.');
  };

  const adjust = (hold: Hold, delta: number) => {
    if (delta === 0) return;
    store.settle(hold.key, delta).catch(storeFailed);
  };
  const release = (ledger: Ledger) => {
    if (ledger.state !== 'held') return;
    ledger.state = 'released';
    for (const hold of ledger.holds) adjust(hold, -hold.amount);
  };

  /** The call's reservation per unit; undefined where the estimator has no figure (no list price). */
  const price = (call: GatewayCall): Record<BudgetUnit, number | undefined> => {
    const units = reservationUnits(call, defaultOutputTokens);
    if (!units) return { gco2e: 0, usd: 0 };
    const event = usageEventOf(call, units, 'budget-reservation', call.startedAt);
    const { impact, warning } = estimateFootprint(estimator, event);
    if (!impact) {
      warnOnce(`Budgets reserve nothing for model "${call.model}": ${warning}`);
      return { gco2e: 0, usd: 0 };
    }
    return { gco2e: impact.carbonGCO2e.location.mid, usd: impact.costUsd?.mid };
  };

  return {
    policy: async function budget(call, next) {
      const limits = limitsByProject.get(call.identity.project);
      if (!limits) return next(call);
      const at = now();
      const amounts = price(call);
      const holds: Hold[] = [];
      for (const limit of limits) {
        const window = periodWindow(limit.budget.period, at);
        const key = budgetKey(limit, window);
        const amount = amounts[limit.unit];
        if (amount === undefined) {
          warnOnce(`Model "${call.model}" has no list price: USD budgets do not count its calls.`);
        }
        const hold: Hold = { ...limit, window, key, amount: amount ?? 0 };
        let answer: Reservation;
        try {
          answer = await store.reserve(hold.key, hold.amount, hold.limit, ttlSeconds(window, at));
          storeAnswered();
        } catch (error) {
          storeFailed(error);
          if (admitWhenStoreFails) continue;
          release({ holds, state: 'held' });
          return budgetUnavailableResponse(call.protocol);
        }
        if (!answer.ok) {
          release({ holds, state: 'held' });
          const { name, project } = limit.budget;
          return budgetExceededResponse(
            { name, project, unit: limit.unit, limit: limit.limit, used: answer.used, window },
            at,
            call.protocol,
          );
        }
        holds.push(hold);
      }
      if (holds.length === 0) return next(call);

      const ledger: Ledger = { holds, state: 'held' };
      ledgers.set(call, ledger);
      let response: Response;
      try {
        response = await next(call);
      } catch (error) {
        release(ledger);
        throw error;
      }
      if (!response.ok || !response.body) {
        release(ledger);
        return response;
      }
      // The gateway meters the answer as it reads the body, and tells the observer within the same
      // run of promise callbacks as the body's end; a timer runs after them, so it releases only the
      // reservations of answers that were never metered.
      return withBodyEnd(response, () => setTimeout(() => release(ledger), 0));
    },

    observer(call, footprint) {
      const ledger = ledgers.get(call);
      if (!ledger) return;
      // The first footprint settles the reservation; later ones (answers a cascade discarded before
      // the one returned) and those of released calls are added in full.
      const reserved = ledger.state === 'held';
      ledger.state = 'settled';
      const { impact } = footprint;
      for (const hold of ledger.holds) {
        // Unpriced answers keep their reservation as the best figure there is.
        const actual = impact
          ? hold.unit === 'gco2e'
            ? impact.carbonGCO2e.location.mid
            : (impact.costUsd?.mid ?? 0)
          : hold.amount;
        adjust(hold, reserved ? actual - hold.amount : actual);
      }
    },

    async usage(project) {
      const at = now();
      const usage: BudgetUsage[] = [];
      for (const [owner, limits] of limitsByProject) {
        if (project !== undefined && owner !== project) continue;
        for (const limit of limits) {
          const window = periodWindow(limit.budget.period, at);
          const used = await store.used(budgetKey(limit, window));
          const { name } = limit.budget;
          usage.push({ name, project: owner, unit: limit.unit, limit: limit.limit, used, window });
        }
      }
      return usage;
    },
  };
}

/** The counters of each project: one per budget and unit it sets. */
function limitsOf(budgets: readonly BudgetConfig[]): Map<string, Limit[]> {
  const byProject = new Map<string, Limit[]>();
  const seen = new Set<string>();
  for (const budget of budgets) {
    const id = `${budget.project}\u0000${budget.name}`;
    if (seen.has(id)) {
      throw new GreenprintError(
        'invalid_input',
        `Budget "${budget.name}" is defined twice for project "${budget.project}"; give each budget of a project its own name.`,
      );
    }
    seen.add(id);
    const limits = byProject.get(budget.project) ?? [];
    if (budget.gco2e !== undefined) limits.push({ budget, unit: 'gco2e', limit: budget.gco2e });
    if (budget.usd !== undefined) limits.push({ budget, unit: 'usd', limit: budget.usd });
    byProject.set(budget.project, limits);
  }
  return byProject;
}

/** The store key of a budget's counter in a window; project and name are escaped to keep it unambiguous. */
function budgetKey(limit: Limit, window: PeriodWindow): string {
  const { project, name } = limit.budget;
  return `budget:${encodeURIComponent(project)}:${encodeURIComponent(name)}:${limit.unit}:${window.key}`;
}

function ttlSeconds(window: PeriodWindow, now: number): number {
  return Math.ceil((window.resetsAt - now) / 1000) + KEY_GRACE_SECONDS;
}

/** `response` unchanged, calling `done` once when its body ends, fails or is cancelled. */
function withBodyEnd(response: Response, done: () => void): Response {
  const body = response.body;
  if (!body) return response;
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    done();
  };
  const wrapped = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            end();
            controller.close();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      cancel(reason) {
        end();
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(wrapped, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
