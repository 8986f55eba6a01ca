import { GreenprintError } from '../core/index.js';
import { detectFormat, readFirstLine } from './detectFormat.js';
import { isPlainObject } from './fieldPaths.js';
import { ImportIds } from './importIds.js';
import { readJsonLines } from './jsonLines.js';
import { readCsvRows } from './readCsvRows.js';
import { readOpenAiUsageRows } from './readOpenAiUsageRows.js';
import { toImportItem } from './toImportItem.js';
import {
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportItem,
  type RawRow,
  type ReadOptions,
} from './types.js';

/**
 * Streams usage events from a file, one item per row in file order: `{ line, event }` for a valid row,
 * `{ line, error }` with the field and problem for a bad one (reading goes on). Blank lines are skipped.
 * Rows without an id get a deterministic one (see `ImportIds`), so a re-import is recognised as such.
 * JSON Lines and CSV stream in flat memory whatever the file size; a multi-line JSON usage export is read
 * whole. Throws GreenprintError('invalid_input') for problems with the whole file: unreadable, unknown
 * format, a --map column missing from the header, a CSV that is not an invoice read as one.
 */
export async function* readEvents(path: string, options: ReadOptions = {}): AsyncGenerator<ImportItem> {
  const firstLine = await readFirstLine(path);
  const format = options.format ?? detectFormat(path, firstLine);
  if (!IMPORT_FORMATS.includes(format)) {
    throw new GreenprintError(
      'invalid_input',
      `Unknown format "${format}". Formats: ${IMPORT_FORMATS.join(', ')}.`,
    );
  }
  const map = options.map ?? {};
  if (Object.keys(map).length > 0 && format !== 'csv' && format !== 'invoice') {
    throw new GreenprintError('invalid_input', `--map applies to CSV files; ${path} is read as ${format}.`);
  }
  const defaults = options.defaults ?? {};
  if (defaults.id !== undefined) {
    throw new GreenprintError(
      'invalid_input',
      'A default id would give every row the same id; leave id out.',
    );
  }
  const ids = new ImportIds();
  for await (const row of rowsFor(format, path, firstLine, map)) yield toImportItem(row, defaults, ids);
}

function rowsFor(
  format: ImportFormat,
  path: string,
  firstLine: string,
  map: Record<string, string>,
): AsyncGenerator<RawRow> {
  switch (format) {
    case 'jsonl':
      return readJsonlRows(path);
    case 'csv':
    case 'invoice':
      return readCsvRows(path, format, map);
    case 'openai-usage':
      return readOpenAiUsageRows(path, firstLine);
  }
}

async function* readJsonlRows(path: string): AsyncGenerator<RawRow> {
  for await (const { line, value, error } of readJsonLines(path)) {
    if (error) yield { line, error };
    else if (isPlainObject(value)) yield { line, value };
    else yield { line, error: `expected a usage event object, got ${describeJson(value)}` };
  }
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `a ${typeof value}`;
}
