import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** One non-empty line of a JSON Lines file, parsed, or the syntax error it holds. */
export interface JsonLine {
  /** 1-based physical line number. */
  line: number;
  value?: unknown;
  error?: string;
}

/**
 * Streams a JSON Lines file line by line (flat memory: one line in memory at a time). Blank lines are
 * skipped; a line that is not JSON is an error for that line and reading goes on.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const raw of lines) {
      line++;
      // A UTF-8 byte-order mark, as some Windows tools write, is not part of the first value.
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      yield parseLine(line, text);
    }
  } finally {
    // Reached also when the consumer stops early: release the file descriptor.
    lines.close();
    input.destroy();
  }
}

function parseLine(line: number, text: string): JsonLine {
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, error: `invalid JSON: ${(error as Error).message}` };
  }
}
