import { GreenprintError, parseUsageEvent, type UsageEvent } from '../core/index.js';
import { isPlainObject } from './fieldPaths.js';
import type { ImportIds } from './importIds.js';
import type { ImportItem, RawRow } from './types.js';

/**
 * Validates one row into an import item: defaults under the row, then `parseUsageEvent`, then an id when
 * the row has none. A problem becomes the item's error, naming the field (and the CSV column it came from).
 */
export function toImportItem(row: RawRow, defaults: Partial<UsageEvent>, ids: ImportIds): ImportItem {
  const where = row.where ? `${row.where}: ` : '';
  if (!row.value) return { line: row.line, error: `${where}${row.error ?? 'unreadable row'}` };
  let event: UsageEvent;
  try {
    event = parseUsageEvent(mergeUnder(defaults, row.value));
  } catch (error) {
    if (!(error instanceof GreenprintError)) throw error;
    return { line: row.line, error: `${where}${describeProblems(error, row.sources ?? {})}` };
  }
  if (event.id !== undefined) return { line: row.line, event };
  return { line: row.line, event: { id: ids.next(event), ...event } };
}

/** Deep merge where `over` wins; objects such as tags and images are merged key by key. */
function mergeUnder(under: object, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const base = merged[key];
    merged[key] = isPlainObject(base) && isPlainObject(value) ? mergeUnder(base, value) : value;
  }
  return merged;
}

/** `field: problem` pairs from the validator, each with the value's origin (CSV column, export field). */
function describeProblems(error: GreenprintError, sources: Record<string, string>): string {
  const problems = Array.isArray(error.details.problems) ? (error.details.problems as string[]) : [];
  if (problems.length === 0) return error.message;
  return problems
    .map((p) => {
      const field = p.slice(0, p.indexOf(':'));
      const source = sources[field];
      return source ? `${field} (${source})${p.slice(field.length)}` : p;
    })
    .join('; ');
}
