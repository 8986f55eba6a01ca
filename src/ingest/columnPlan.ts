import { GreenprintError } from '../core/index.js';
import { type Converted, convertCell } from './convertCell.js';
import {
  FIELD_LIST,
  type FieldKind,
  fieldKind,
  normalizeColumn,
  resolveField,
  setField,
} from './fieldPaths.js';

/** Which columns fill which field. A field may have several candidate columns, best first. */
export interface ColumnPlan {
  fields: { field: string; kind: FieldKind; columns: string[] }[];
}

/**
 * Decides, once per file, where each header column goes: an explicit `map` entry wins, then a column named
 * like the field (`inputTokens`, `images.width`, `tags.env`), then an alias (`prompt_tokens`). Columns in
 * `reserved` are left to the caller (the invoice's unit and units). Unknown columns are ignored.
 */
export function planColumns(
  header: string[],
  map: Record<string, string> = {},
  reserved: ReadonlySet<string> = new Set(),
): ColumnPlan {
  const present = new Set(header);
  for (const [column, field] of Object.entries(map)) {
    if (!present.has(column)) {
      throw new GreenprintError(
        'invalid_input',
        `--map names column "${column}", which is not in the header. Columns: ${header.join(', ')}.`,
        { column },
      );
    }
    const target = resolveField(field);
    if (!target || !fieldKind(target)) {
      throw new GreenprintError(
        'invalid_input',
        `--map ${column}=${field}: unknown field "${field}". Fields: ${FIELD_LIST}.`,
        { field },
      );
    }
  }
  const byField = new Map<string, { explicit: string[]; automatic: string[] }>();
  const add = (field: string, column: string, explicit: boolean) => {
    const entry = byField.get(field) ?? { explicit: [], automatic: [] };
    (explicit ? entry.explicit : entry.automatic).push(column);
    byField.set(field, entry);
  };
  const seen = new Set<string>();
  for (const column of header) {
    // csv-parse keys records by name, so a repeated column would silently keep only its last cell.
    if (seen.has(column) && (map[column] !== undefined || resolveField(column))) {
      throw new GreenprintError(
        'invalid_input',
        `Column "${column}" appears twice in the header; rename one.`,
        {
          column,
        },
      );
    }
    seen.add(column);
    const mapped = map[column];
    if (mapped !== undefined) {
      add(resolveField(mapped) ?? mapped, column, true);
      continue;
    }
    if (reserved.has(normalizeColumn(column))) continue;
    const field = resolveField(column);
    if (field) add(field, column, false);
  }
  const fields = [...byField].map(([field, { explicit, automatic }]) => ({
    field,
    kind: fieldKind(field) ?? 'string',
    columns: [...explicit, ...sortExactFirst(field, automatic)],
  }));
  return { fields };
}

/** A column spelled as the field itself beats an alias: `startTime` over `date` when both exist. */
function sortExactFirst(field: string, columns: string[]): string[] {
  return [...columns].sort((a, b) => Number(b.trim() === field) - Number(a.trim() === field));
}

/** An event-shaped object from one CSV record, the column behind each field, and the cells that failed. */
export interface PlannedRow {
  value: Record<string, unknown>;
  sources: Record<string, string>;
  errors: string[];
}

/** Applies a plan to one record: per field, the first non-empty candidate cell, converted for the field. */
export function applyPlan(plan: ColumnPlan, record: Record<string, string | undefined>): PlannedRow {
  const row: PlannedRow = { value: {}, sources: {}, errors: [] };
  for (const { field, kind, columns } of plan.fields) {
    for (const column of columns) {
      const cell = record[column]?.trim();
      if (!cell) continue;
      const converted: Converted = convertCell(kind, cell);
      if ('error' in converted) row.errors.push(`${field} (column "${column}"): ${converted.error}`);
      else setField(row.value, field, converted.value);
      row.sources[field] = `column "${column}"`;
      break;
    }
  }
  return row;
}
