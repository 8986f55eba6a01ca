import { HTTPException } from 'hono/http-exception';
import { GreenprintError } from '../core/index.js';
import { hourOf, type ReportQuery } from '../ledger/index.js';
import { type DashboardFilters, FILTER_DIMENSIONS, type FilterDimension } from './apiTypes.js';

/** Who is asking: the role and, for a project-scoped key, the only project it may see. */
export interface Principal {
  role: 'read' | 'admin';
  project?: string;
  /** True when the dashboard is open (loopback) rather than keyed. */
  open: boolean;
}

const HOUR_MS = 3_600_000;

/** Epoch ms of a `from`/`to` value, floored to its hour like the ledger's rollups; a bad date is a 400. */
export function hourStartMs(value: string, name: 'from' | 'to'): number {
  return hourOf(value, name) * HOUR_MS;
}

/**
 * Reads the filter parameters of a request and applies the key's scope: a project-scoped key gets its
 * project forced on every query, and asking for another project is refused (403), never widened.
 */
export function parseFilters(
  query: Record<string, string | undefined>,
  principal: Principal,
): DashboardFilters {
  const where: DashboardFilters['where'] = {};
  for (const dim of FILTER_DIMENSIONS) {
    const value = query[dim]?.trim();
    if (value) where[dim] = value;
  }
  if (principal.project !== undefined) {
    if (where.project !== undefined && where.project !== principal.project) {
      throw new HTTPException(403, {
        message: `This key is scoped to project "${principal.project}" and cannot read project "${where.project}".`,
      });
    }
    where.project = principal.project;
  }
  const filters: DashboardFilters = { where };
  const from = query.from?.trim();
  const to = query.to?.trim();
  if (from) {
    filters.from = from;
    filters.fromMs = hourStartMs(from, 'from');
  }
  if (to) {
    filters.to = to;
    filters.toMs = hourStartMs(to, 'to');
  }
  if (filters.fromMs !== undefined && filters.toMs !== undefined && filters.fromMs >= filters.toMs) {
    throw new GreenprintError('invalid_input', `from (${from}) must be before to (${to}).`);
  }
  return filters;
}

/** The ledger report query for these filters, grouped by `by`. */
export function reportQuery(filters: DashboardFilters, by: ReportQuery['by'] = []): ReportQuery {
  return {
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
    by,
    where: { ...filters.where },
  };
}

/** Which of the given filters a view could not apply, so the page can say so instead of ignoring them. */
/** Every filter: what a view that applies them all passes to `notApplied`. */
export const ALL_FILTERS = ['period', ...FILTER_DIMENSIONS] as const;

export function notApplied(
  filters: DashboardFilters,
  applicable: readonly (FilterDimension | 'period')[],
): (FilterDimension | 'period')[] {
  const given: (FilterDimension | 'period')[] = [
    ...(filters.from || filters.to ? (['period'] as const) : []),
    ...FILTER_DIMENSIONS.filter((d) => filters.where[d] !== undefined),
  ];
  return given.filter((d) => !applicable.includes(d));
}

/** Whether `ms` lies in the filters' period. */
export function inPeriod(filters: DashboardFilters, ms: number): boolean {
  return (
    (filters.fromMs === undefined || ms >= filters.fromMs) &&
    (filters.toMs === undefined || ms < filters.toMs)
  );
}
