import { GreenprintError } from '../core/index.js';
import { applyPlan, type ColumnPlan, planColumns } from './columnPlan.js';
import { convertCell } from './convertCell.js';
import { readCsvRecords } from './csvRecords.js';
import { fieldKind, normalizeColumn, resolveField, setField } from './fieldPaths.js';
import type { RawRow } from './types.js';

/** Invoice columns for the line's quantity: `unit` says what is counted, `units` (or `quantity`) how much. */
const UNIT_COLUMNS = ['unit'];
const AMOUNT_COLUMNS = ['units', 'quantity'];

/** What an invoice's `unit` may name: the quantities a usage event carries. */
const INVOICE_UNITS = new Set([
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'reasoningTokens',
  'images.count',
  'audio.seconds',
  'audio.characters',
  'video.seconds',
  'requests',
]);

const UNIT_NAMES =
  'input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, images, audio_seconds, characters, ' +
  'video_seconds or requests';

/** Quantities that are part of another: a line item of the part also counts toward the whole. */
const SUBSET_OF: Readonly<Record<string, string>> = {
  cachedInputTokens: 'inputTokens',
  reasoningTokens: 'outputTokens',
};

/**
 * Streams a CSV (`csv`) or a provider invoice (`invoice`: one line item per row, `unit` + `units`) as
 * event-shaped rows. Cells are converted per field; a bad cell is an error for its row naming the column.
 */
export async function* readCsvRows(
  path: string,
  format: 'csv' | 'invoice',
  map: Record<string, string> = {},
): AsyncGenerator<RawRow> {
  let header: string[] | undefined;
  let plan: ColumnPlan | undefined;
  const reserved = new Set(format === 'invoice' ? [...UNIT_COLUMNS, ...AMOUNT_COLUMNS] : []);
  let unitColumn: string | undefined;
  let amountColumn: string | undefined;
  const setup = () => {
    if (plan || !header) return;
    plan = planColumns(header, map, reserved);
    const find = (names: string[]) => header?.find((h) => names.includes(normalizeColumn(h)) && !(h in map));
    unitColumn = find(UNIT_COLUMNS);
    amountColumn = find(AMOUNT_COLUMNS);
    if (format === 'invoice' && (!unitColumn || !amountColumn)) {
      throw new GreenprintError(
        'invalid_input',
        `An invoice needs a "unit" and a "units" (or "quantity") column. Columns: ${header.join(', ')}.`,
      );
    }
  };
  const onHeader = (columns: string[]) => {
    header = columns;
  };
  for await (const { line, record, error } of readCsvRecords(path, onHeader)) {
    setup();
    if (!record || !plan) {
      yield { line, error: error ?? 'unreadable row' };
      continue;
    }
    const row = applyPlan(plan, record);
    if (format === 'invoice') {
      const problem = addInvoiceQuantity(
        row.value,
        row.sources,
        record,
        unitColumn ?? '',
        amountColumn ?? '',
      );
      if (problem) row.errors.push(problem);
    }
    yield row.errors.length > 0
      ? { line, error: row.errors.join('; ') }
      : { line, value: row.value, sources: row.sources };
  }
  // A file with a header and no rows must still report a --map that names a missing column.
  setup();
}

/** Puts an invoice line's amount into the field its unit names; returns a reason when it cannot. */
function addInvoiceQuantity(
  value: Record<string, unknown>,
  sources: Record<string, string>,
  record: Record<string, string>,
  unitColumn: string,
  amountColumn: string,
): string | undefined {
  const unit = record[unitColumn]?.trim() ?? '';
  const amount = record[amountColumn]?.trim() ?? '';
  const field = resolveField(unit);
  if (!field || !INVOICE_UNITS.has(field)) {
    return `column "${unitColumn}": unknown unit "${unit}"; use ${UNIT_NAMES}`;
  }
  if (!amount) return `column "${amountColumn}": missing amount for unit ${unit}`;
  const converted = convertCell(fieldKind(field) ?? 'number', amount);
  if ('error' in converted) return `${field} (column "${amountColumn}"): ${converted.error}`;
  // Bills list cached input apart from the rest of the input, but an event's inputTokens includes the
  // cached ones (likewise reasoning within output): the line item fills both fields.
  const parent = SUBSET_OF[field];
  for (const target of parent ? [field, parent] : [field]) {
    if (sources[target]) return `${target} is set by both ${sources[target]} and column "${unitColumn}"`;
    setField(value, target, converted.value);
    sources[target] = `column "${amountColumn}"`;
  }
  return undefined;
}
