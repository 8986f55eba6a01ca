import { readFile } from 'node:fs/promises';
import { isPlainObject } from './fieldPaths.js';
import { readJsonLines } from './jsonLines.js';
import { objectStartLines, objectsInDocumentOrder } from './objectStartLines.js';
import { mapUsageResult } from './openAiUsageResult.js';
import type { RawRow } from './types.js';

/**
 * Rows of an OpenAI organisation Usage API export: a page (`{"object":"page","data":[buckets]}`), a JSON
 * array of pages, a bucket, or JSON Lines of any of these. JSON Lines stream, and each row's line is its
 * page's line. A multi-line JSON document is read whole (exports are small: one bucket per day and group);
 * each row's line is the line where its result object starts.
 */
export async function* readOpenAiUsageRows(path: string, firstLine: string): AsyncGenerator<RawRow> {
  if (isWholeJson(firstLine)) {
    for await (const { line, value, error } of readJsonLines(path)) {
      if (error) yield { line, error };
      else yield* rowsOf(value, () => line, '');
    }
    return;
  }
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : 1;
    yield { line, error: `invalid JSON: ${message}` };
    return;
  }
  const lines = objectStartLines(text);
  const objects = objectsInDocumentOrder(doc);
  // Equal counts mean each object is paired with its own '{'; otherwise (duplicate keys) fall back.
  const lineOf = new Map(objects.length === lines.length ? objects.map((o, i) => [o, lines[i] ?? 0]) : []);
  const note = lineOf.size === 0 ? ' (line unknown: the line reported is the bucket number)' : '';
  yield* rowsOf(
    doc,
    (object, bucket) => (isPlainObject(object) ? lineOf.get(object) : undefined) ?? bucket,
    note,
  );
}

function isWholeJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** Buckets of a page, of an array of pages or buckets, or a bucket itself, in document order. */
function* bucketsOf(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (const item of value) yield* bucketsOf(item);
  } else if (isPlainObject(value) && Array.isArray(value.data)) {
    yield* value.data;
  } else {
    yield value;
  }
}

/**
 * One row per result. `lineOf` gives the line of a bucket or result object (given the bucket's 1-based
 * number as a fallback); `note` is added to error locations when lines are not known.
 */
function* rowsOf(
  doc: unknown,
  lineOf: (object: unknown, bucket: number) => number,
  note: string,
): Generator<RawRow> {
  let n = 0;
  for (const bucket of bucketsOf(doc)) {
    n++;
    if (!isPlainObject(bucket) || !Array.isArray(bucket.results)) {
      yield {
        line: lineOf(bucket, n),
        where: `bucket ${n}${note}`,
        error: 'expected an OpenAI usage bucket {"object":"bucket","start_time":…,"results":[…]} or a page',
      };
      continue;
    }
    const start = bucket.start_time;
    if (typeof start !== 'number' || !Number.isFinite(start)) {
      yield {
        line: lineOf(bucket, n),
        where: `bucket ${n}${note}`,
        error: 'start_time must be unix seconds',
      };
      continue;
    }
    const startTime = new Date(start * 1000).toISOString();
    let r = 0;
    for (const result of bucket.results as unknown[]) {
      r++;
      const where = `bucket ${n}, result ${r}${note}`;
      const line = lineOf(isPlainObject(result) ? result : bucket, n);
      const mapped = mapUsageResult(result, startTime);
      if ('skip' in mapped) continue;
      if ('error' in mapped) yield { line, where, error: mapped.error };
      else yield { line, where, value: mapped.value, sources: mapped.sources };
    }
  }
}
