import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { GreenprintError } from '../core/index.js';
import { normalizeColumn } from './fieldPaths.js';
import type { ImportFormat } from './types.js';

const USAGE_OBJECT = /"object"\s*:\s*"(?:page|bucket)"/;

/**
 * The format of a file from its extension and first non-empty line: `.jsonl`/`.ndjson` are usage events
 * unless the line is an OpenAI usage page or bucket; `.json` is an OpenAI usage export; `.csv` is an
 * invoice when the header has a `unit` or `units` column, else a usage CSV. Other extensions are sniffed
 * from the line. Throws GreenprintError('invalid_input') when nothing fits.
 */
export function detectFormat(path: string, firstLine: string): ImportFormat {
  const line = firstLine.replace(/^\uFEFF/, '').trim();
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return isUsagePage(line) ? 'openai-usage' : 'jsonl';
  if (ext === '.json') return 'openai-usage';
  if (ext === '.csv') return csvFormat(line);
  if (line.startsWith('{')) return isUsagePage(line) ? 'openai-usage' : 'jsonl';
  if (line.startsWith('[')) return 'openai-usage';
  if (line.includes(',')) return csvFormat(line);
  throw new GreenprintError(
    'invalid_input',
    `Cannot tell the format of ${path}: name it .jsonl, .csv or .json, ` +
      'or pass --format jsonl|csv|openai-usage|invoice.',
  );
}

function isUsagePage(line: string): boolean {
  try {
    const value = JSON.parse(line) as { object?: unknown };
    return value.object === 'page' || value.object === 'bucket';
  } catch {
    // A pretty-printed or very long first line is not a whole value; the marker alone is enough.
    return USAGE_OBJECT.test(line);
  }
}

function csvFormat(header: string): ImportFormat {
  const columns = header.split(',').map((c) => normalizeColumn(c.replace(/^\s*"|"\s*$/g, '')));
  return columns.includes('unit') || columns.includes('units') ? 'invoice' : 'csv';
}

/** Bytes read to find the first line: enough for any header, and never the whole of a large file. */
const FIRST_LINE_BYTES = 64 * 1024;

/** The first non-empty line of a file, read from its first 64 KiB. Throws GreenprintError when unreadable. */
export async function readFirstLine(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(FIRST_LINE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, FIRST_LINE_BYTES, 0);
    const text = buffer.toString('utf8', 0, bytesRead).replace(/^\uFEFF/, '');
    return text.split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(error);
    throw new GreenprintError('invalid_input', `Cannot read ${path}: ${reason}.`, { path }, { cause: error });
  } finally {
    await handle?.close();
  }
}
