import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GreenprintError } from '../core/index.js';
import { type ImportItem, type ReadOptions, readEvents } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLES = new URL('../../docs/examples/', import.meta.url);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function collect(path: string, options?: ReadOptions): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of readEvents(path, options)) items.push(item);
  return items;
}

describe('readEvents: JSON Lines', () => {
  it('reports each bad row of the sample with its line and reason, keeping the good ones', async () => {
    const items = await collect(new URL('bad-rows.jsonl', EXAMPLES).pathname);
    expect(items.map((i) => [i.line, i.event ? 'ok' : 'error'])).toEqual([
      [1, 'ok'],
      [2, 'error'],
      [3, 'error'],
      // line 4 is blank and skipped silently
      [5, 'ok'],
      [6, 'error'],
      [7, 'ok'],
    ]);
    const errors = items.filter((i) => i.error).map((i) => i.error);
    expect(errors[0]).toMatch(/^invalid JSON/);
    expect(errors[1]).toMatch(/^inputTokens: .*>=0/);
    expect(errors[2]).toMatch(/^requestModel: .*expected string/);
    expect(items.every((i) => (i.event === undefined) !== (i.error === undefined))).toBe(true);
    expect(items[0]?.event?.id).toBe('bad-01');
  });

  it('counts lines as an editor does: CRLF, a byte-order mark and whitespace-only lines', async () => {
    const path = file(
      'crlf.jsonl',
      '\uFEFF{"requestModel":"gpt-4o","inputTokens":1}\r\n   \r\n\r\n' +
        '{"requestModel":"gpt-4o","inputTokens":"x"}\r\n[1]\r\nnull\r\n',
    );
    const items = await collect(path);
    expect(items.map((i) => i.line)).toEqual([1, 4, 5, 6]);
    expect(items[0]?.event?.inputTokens).toBe(1);
    expect(items[1]?.error).toMatch(/^inputTokens: .*expected number/);
    expect(items[2]?.error).toBe('expected a usage event object, got an array');
    expect(items[3]?.error).toBe('expected a usage event object, got null');
  });

  it('rejects unknown fields, as the strict event schema does', async () => {
    const items = await collect(file('extra.jsonl', '{"requestModel":"gpt-4o","promptTokens":5}\n'));
    expect(items[0]?.error).toMatch(/promptTokens/);
  });

  it('applies defaults under each row: the row wins, nested objects merge', async () => {
    const path = file(
      'defaults.jsonl',
      [
        '{"requestModel":"gpt-4o","inputTokens":5,"tags":{"env":"prod"}}',
        '{"requestModel":"gpt-4o","inputTokens":5,"project":"own","region":"DE"}',
      ].join('\n'),
    );
    const items = await collect(path, {
      defaults: { project: 'fallback', provider: 'openai', tags: { team: 'web', env: 'dev' } },
    });
    expect(items[0]?.event).toMatchObject({
      project: 'fallback',
      provider: 'openai',
      tags: { team: 'web', env: 'prod' },
    });
    expect(items[1]?.event).toMatchObject({ project: 'own', region: 'DE' });
  });

  it('refuses whole-file problems up front: missing file, --map on JSON, a default id', async () => {
    await expect(collect(join(dir, 'nope.jsonl'))).rejects.toThrow(/no such file/);
    const path = file('ok.jsonl', '{"requestModel":"gpt-4o"}\n');
    await expect(collect(path, { map: { a: 'inputTokens' } })).rejects.toThrow(GreenprintError);
    await expect(collect(path, { defaults: { id: 'x' } })).rejects.toThrow(/same id/);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('releases the file when the consumer stops early', async () => {
    const path = file('many.jsonl', '{"requestModel":"gpt-4o"}\n'.repeat(100_000));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    let seen = 0;
    for await (const _ of readEvents(path)) {
      if (++seen === 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBe(3);
    expect(openFiles()).toBe(before);
  });
});

describe('readEvents: deterministic ids', () => {
  const rows = [
    '{"requestModel":"gpt-4o","inputTokens":10,"outputTokens":2}',
    '{"outputTokens":2,"inputTokens":10,"requestModel":"gpt-4o"}',
    '{"requestModel":"gpt-4o","inputTokens":11,"outputTokens":2}',
    '{"id":"mine","requestModel":"gpt-4o","inputTokens":10,"outputTokens":2}',
  ];

  it('gives identical rows distinct ids, numbered per identical event, and keeps explicit ids', async () => {
    const items = await collect(file('ids.jsonl', rows.join('\n')));
    const ids = items.map((i) => i.event?.id);
    expect(ids[0]).toMatch(/^imp_[0-9a-f]{32}_0$/);
    // Same event with keys in another order: same hash, next occurrence.
    expect(ids[1]).toBe(ids[0]?.replace(/_0$/, '_1'));
    expect(ids[2]).toMatch(/_0$/);
    expect(ids[2]?.slice(0, 36)).not.toBe(ids[0]?.slice(0, 36));
    expect(ids[3]).toBe('mine');
  });

  it('gives the same ids on a second read, and follows the documented rule', async () => {
    const path = file('ids2.jsonl', rows.join('\n'));
    const first = (await collect(path)).map((i) => i.event?.id);
    const second = (await collect(path)).map((i) => i.event?.id);
    expect(second).toEqual(first);
    const { createHash } = await import('node:crypto');
    const canonical = '{"inputTokens":10,"outputTokens":2,"requestModel":"gpt-4o"}';
    expect(first[0]).toBe(`imp_${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}_0`);
  });

  it('hashes the event after defaults, so other defaults make other ids', async () => {
    const path = file('ids3.jsonl', rows[0] ?? '');
    const [a] = await collect(path, { defaults: { project: 'a' } });
    const [b] = await collect(path, { defaults: { project: 'b' } });
    expect(a?.event?.id).not.toBe(b?.event?.id);
  });
});
