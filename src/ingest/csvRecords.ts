import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';

/** One CSV record keyed by header name, or why the record could not be read. */
export interface CsvRecord {
  /** 1-based physical line where the record starts; the header is line 1. */
  line: number;
  record?: Record<string, string>;
  error?: string;
}

/** What csv-parse emits per record with `info: true, raw: true`. */
interface ParsedChunk {
  record: Record<string, string>;
  raw: string;
  info: { lines: number; error?: { code: string; record?: unknown[] } };
}

/**
 * Streams a CSV file record by record (flat memory), with the header's names as keys. A malformed record
 * (bad quoting, wrong field count) becomes an error for its line and reading goes on. `onHeader` receives
 * the header before the first record.
 */
export async function* readCsvRecords(
  path: string,
  onHeader: (header: string[]) => void,
): AsyncGenerator<CsvRecord> {
  let width = 0;
  const parser = parse({
    columns: (header: string[]) => {
      width = header.length;
      onHeader(header);
      return header;
    },
    info: true,
    raw: true,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    // Field-count and quoting problems become row errors rather than ending the import.
    relax_column_count: true,
    skip_records_with_error: true,
  });
  const skipped: CsvRecord[] = [];
  const lines = new LineTracker();
  parser.on('skip', (error: CsvError) => {
    const at = lines.correct(typeof error.lines === 'number' ? error.lines : 0);
    // csv-parse may report one broken record more than once; the first reason is the useful one.
    if (skipped.at(-1)?.line === at) return;
    skipped.push({ line: at, error: `malformed CSV: ${error.message}` });
  });
  // pipeline, not pipe: a read error (missing file) must reach the iterator instead of hanging it.
  pipeline(createReadStream(path), parser, () => {});
  for await (const chunk of parser as AsyncIterable<ParsedChunk>) {
    const line = lines.start(chunk.info.lines, chunk.raw);
    // Skip events fire during parsing, possibly ahead of the record being yielded: emit earlier ones first.
    while (skipped[0] && skipped[0].line < line) yield skipped.shift() as CsvRecord;
    const values = Object.values(chunk.record);
    if (values.every((v) => v.trim() === '')) continue;
    const error = chunk.info.error;
    if (error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') {
      const got = error.record?.length ?? '?';
      yield { line, error: `malformed CSV: the row has ${got} fields and the header ${width}` };
      continue;
    }
    yield { line, record: chunk.record };
  }
  yield* skipped;
}

/**
 * Turns csv-parse's line counter into the physical start line of each record. csv-parse counts the line a
 * record ends on, and counts a CR LF inside a quoted field as two lines; both are undone from the raw text.
 */
class LineTracker {
  #drift = 0;

  start(endLine: number, raw: string): number {
    // The raw text carries the empty lines skipped before the record and its own line break.
    const body = raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
    const counted = (body.match(/[\r\n]/g) ?? []).length;
    const physical = (body.match(/\r\n|\r|\n/g) ?? []).length;
    const startLine = endLine - this.#drift - counted;
    this.#drift += counted - physical;
    return startLine;
  }

  correct(line: number): number {
    return line - this.#drift;
  }
}
