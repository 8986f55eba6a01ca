import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GreenprintError } from '../core/index.js';
import { detectFormat, readFirstLine } from './detectFormat.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detectFormat', () => {
  it('reads .jsonl and .ndjson as usage events unless the line is an OpenAI usage page or bucket', () => {
    expect(detectFormat('a.jsonl', '{"requestModel":"gpt-4o","inputTokens":3}')).toBe('jsonl');
    expect(detectFormat('a.NDJSON', '{"requestModel":"gpt-4o"}')).toBe('jsonl');
    expect(detectFormat('a.jsonl', '{"object":"page","data":[],"has_more":false}')).toBe('openai-usage');
    expect(detectFormat('a.jsonl', '{"object": "bucket", "start_time": 1, "results": []}')).toBe(
      'openai-usage',
    );
    // A line cut short (not a whole value) is still recognised by its marker.
    expect(detectFormat('a.jsonl', '{"object":"page","data":[{"object":"bucket"')).toBe('openai-usage');
  });

  it('reads .json as an OpenAI usage export', () => {
    expect(detectFormat('usage.json', '{')).toBe('openai-usage');
  });

  it('tells an invoice from a usage CSV by its unit/units column', () => {
    expect(detectFormat('u.csv', 'timestamp,model,prompt_tokens')).toBe('csv');
    expect(detectFormat('i.csv', 'date,model,description,unit,units')).toBe('invoice');
    expect(detectFormat('i.csv', '\uFEFF"Date","Model","Units"')).toBe('invoice');
    // "units_sold" is not "units".
    expect(detectFormat('u.csv', 'date,model,units_sold,input_tokens')).toBe('csv');
  });

  it('sniffs other extensions from the first line, and says what to do when it cannot', () => {
    expect(detectFormat('events.log', '{"requestModel":"gpt-4o"}')).toBe('jsonl');
    expect(detectFormat('export.txt', '[')).toBe('openai-usage');
    expect(detectFormat('export.txt', 'model,input_tokens')).toBe('csv');
    expect(() => detectFormat('notes.txt', 'hello')).toThrow(/--format jsonl\|csv\|openai-usage\|invoice/);
  });
});

describe('readFirstLine', () => {
  it('returns the first non-empty line without a byte-order mark', async () => {
    const path = join(dir, 'a.csv');
    writeFileSync(path, '\uFEFF\r\n\r\nmodel,units\r\ngpt-4o,3\r\n');
    expect(await readFirstLine(path)).toBe('model,units');
  });

  it('turns a missing file into an invalid_input error naming it', async () => {
    const path = join(dir, 'missing.jsonl');
    await expect(readFirstLine(path)).rejects.toThrow(GreenprintError);
    await expect(readFirstLine(path)).rejects.toThrow(`Cannot read ${path}: no such file`);
  });
});
