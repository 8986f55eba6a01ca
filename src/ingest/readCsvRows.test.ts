import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ImportItem, parseMapFlags, type ReadOptions, readEvents } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-csv-'));
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

describe('readEvents: CSV', () => {
  it('understands common column names without --map', async () => {
    const path = file(
      'aliases.csv',
      [
        'Model,Provider,prompt_tokens,Completion Tokens,cached_tokens,reasoning_tokens,n_requests,date,' +
          'region,team,ignored',
        'gpt-4o,openai,1200,300,1024,100,4,2024-05-01,DE,web,whatever',
        'dall-e-3,openai,,,,,2,1714557600,us-east-1,web,',
      ].join('\n'),
    );
    const [a, b] = await collect(path);
    expect(a?.event).toMatchObject({
      requestModel: 'gpt-4o',
      provider: 'openai',
      inputTokens: 1200,
      outputTokens: 300,
      cachedInputTokens: 1024,
      reasoningTokens: 100,
      requests: 4,
      startTime: '2024-05-01T00:00:00.000Z',
      region: 'DE',
      team: 'web',
    });
    expect(a?.event).not.toHaveProperty('ignored');
    expect(b?.event).toMatchObject({
      requestModel: 'dall-e-3',
      requests: 2,
      startTime: '2024-05-01T10:00:00.000Z',
    });
    // Empty cells are absent fields, not zeros.
    expect(b?.event).not.toHaveProperty('inputTokens');
  });

  it('reads field names and nested paths as headers, including images, audio and tags', async () => {
    const path = file(
      'fields.csv',
      [
        'requestModel,images,width,height,steps,tags.env,tags.Cost Center,time',
        'stabilityai/stable-diffusion-xl-base-1.0,4,1024,768,30,prod,42,2024-05-01 10:20:30',
      ].join('\n'),
    );
    const [item] = await collect(path);
    expect(item?.event).toMatchObject({
      images: { count: 4, width: 1024, height: 768, steps: 30 },
      tags: { env: 'prod', 'Cost Center': '42' },
      startTime: '2024-05-01T10:20:30.000Z',
    });
  });

  it('maps other columns with --map, and --map beats an alias', async () => {
    const path = file(
      'mapped.csv',
      ['llm,in,out,img_w,model,dept', 'gpt-4o-mini,10,20,512,should-lose,finance'].join('\n'),
    );
    const map = parseMapFlags([
      'llm=requestModel',
      'in=inputTokens',
      'out=completion_tokens',
      'dept=tags.dept',
    ]);
    const [item] = await collect(path, { map });
    expect(item?.event).toMatchObject({
      requestModel: 'gpt-4o-mini',
      inputTokens: 10,
      outputTokens: 20,
      tags: { dept: 'finance' },
    });
    await expect(collect(path, { map: { nothere: 'inputTokens' } })).rejects.toThrow(
      /"nothere", which is not in the header/,
    );
  });

  it('refuses a header that repeats a column it would read', async () => {
    const path = file(
      'dup.csv',
      ['model,prompt_tokens,prompt_tokens,note,note', 'gpt-4o,5,6,a,b'].join('\n'),
    );
    await expect(collect(path)).rejects.toThrow('Column "prompt_tokens" appears twice in the header');
    const ignored = file('dup2.csv', ['model,note,note', 'gpt-4o,a,b'].join('\n'));
    expect((await collect(ignored))[0]?.event?.requestModel).toBe('gpt-4o');
  });

  it('parses numbers strictly and names the column in the error', async () => {
    const path = file(
      'strict.csv',
      [
        'model,prompt_tokens,completion_tokens',
        'gpt-4o,12a,3',
        'gpt-4o,0x10,3',
        'gpt-4o,1.5,3',
        'gpt-4o,-4,3',
        'gpt-4o,1e3,7',
      ].join('\n'),
    );
    const items = await collect(path);
    expect(items[0]?.error).toBe('inputTokens (column "prompt_tokens"): "12a" is not a number');
    expect(items[1]?.error).toBe('inputTokens (column "prompt_tokens"): "0x10" is not a number');
    expect(items[2]?.error).toMatch(/^inputTokens \(column "prompt_tokens"\): .*int/);
    expect(items[3]?.error).toMatch(/^inputTokens \(column "prompt_tokens"\): .*>=0/);
    expect(items[4]?.event?.inputTokens).toBe(1000);
  });

  it('rejects a time it cannot read, naming the column', async () => {
    const path = file(
      'time.csv',
      ['model,date', 'gpt-4o,2024-02-31', 'gpt-4o,20240501', 'gpt-4o,1714557600000'].join('\n'),
    );
    const items = await collect(path);
    expect(items.map((i) => i.error)).toEqual(
      ['2024-02-31', '20240501', '1714557600000'].map((cell) =>
        expect.stringMatching(new RegExp(`^startTime \\(column "date"\\): "${cell}" is not a time`)),
      ),
    );
  });

  it('reports the line each record starts on: quoted newlines, CRLF, blank and malformed rows', async () => {
    const path = file(
      'lines.csv',
      [
        'model,prompt_tokens,tags.note', // 1
        'gpt-4o,1,plain', // 2
        '', // 3
        'gpt-4o,2,"two', // 4
        'lines"', // 5
        'gpt-4o,3', // 6: a field short
        'gpt-4o,4,x', // 7
        ',,', // 8: no values, skipped
        'gpt-4o,5,"a\r\nb"', // 9-10 with CR LF inside the quotes
        'gpt-4o,6,y', // 11
      ].join('\r\n'),
    );
    const items = await collect(path);
    expect(items.map((i) => [i.line, i.event?.inputTokens ?? i.error])).toEqual([
      [2, 1],
      [4, 2],
      [6, 'malformed CSV: the row has 2 fields and the header 3'],
      [7, 4],
      [9, 5],
      [11, 6],
    ]);
  });

  it('loads the usage.csv sample without --map, with deterministic ids for identical rows', async () => {
    const items = await collect(new URL('usage.csv', EXAMPLES).pathname);
    expect(items).toHaveLength(20);
    expect(items.filter((i) => i.error)).toEqual([]);
    const staging = items.filter((i) => i.event?.tags?.env === 'staging').map((i) => i.event?.id);
    expect(staging).toHaveLength(2);
    expect(staging[0]?.replace(/_0$/, '_1')).toBe(staging[1]);
  });
});

describe('parseMapFlags', () => {
  it('accepts field paths, aliases and tags', () => {
    expect(
      parseMapFlags(['img_w=images.width', 'Prompt Tokens=prompt_tokens', 'env=tags.env', 'a=b=inputTokens']),
    ).toEqual({
      img_w: 'images.width',
      'Prompt Tokens': 'inputTokens',
      env: 'tags.env',
      'a=b': 'inputTokens',
    });
  });

  it('names the bad flag or unknown field', () => {
    expect(() => parseMapFlags(['prompt_tokens'])).toThrow('--map "prompt_tokens" must be column=field');
    expect(() => parseMapFlags(['=inputTokens'])).toThrow(/must be column=field/);
    expect(() => parseMapFlags(['x=tokens'])).toThrow(/--map "x=tokens": unknown field "tokens"/);
    expect(() => parseMapFlags(['x=tags.'])).toThrow(/unknown field "tags\."/);
    expect(() => parseMapFlags(['x=inputTokens', 'x=outputTokens'])).toThrow(/already mapped to inputTokens/);
  });
});

describe('readEvents: invoice', () => {
  it('turns each line item into one event, its unit naming the quantity', async () => {
    const items = await collect(new URL('invoice.csv', EXAMPLES).pathname);
    expect(items.filter((i) => i.error)).toEqual([]);
    expect(items).toHaveLength(8);
    expect(items[0]).toMatchObject({
      line: 2,
      event: {
        provider: 'openai',
        requestModel: 'gpt-4o',
        inputTokens: 48210000,
        requests: 31200,
        project: 'support-bot',
      },
    });
    expect(items[0]?.event).not.toHaveProperty('outputTokens');
    expect(items[1]?.event).toMatchObject({ outputTokens: 10930000 });
    // Cached input is part of the input: the line fills both fields.
    expect(items[2]?.event).toMatchObject({ cachedInputTokens: 17400000, inputTokens: 17400000 });
    expect(items[5]?.event).toMatchObject({ requestModel: 'dall-e-3', images: { count: 310 } });
    expect(items[6]?.event).toMatchObject({ audio: { seconds: 61200 } });
    expect(items[7]?.event).toMatchObject({ audio: { characters: 1850000 } });
    expect(items[0]?.event?.startTime).toBe('2024-07-01T00:00:00.000Z');
  });

  it('takes quantity for units, the provider from defaults, and rejects unknown units per row', async () => {
    const path = file(
      'inv.csv',
      [
        'Date,Model,Unit,Quantity',
        '2024-07-01,gpt-4o,prompt_tokens,100',
        '2024-07-01,gpt-4o,gpu_hours,3',
        '2024-07-01,gpt-4o,output_tokens,1,5',
      ].join('\n'),
    );
    const items = await collect(path, { defaults: { provider: 'openai' } });
    expect(items[0]?.event).toMatchObject({ provider: 'openai', inputTokens: 100 });
    expect(items[1]?.error).toMatch(/^column "Unit": unknown unit "gpu_hours"/);
    expect(items[2]?.error).toMatch(/malformed CSV/);
  });

  it('needs both unit and units columns', async () => {
    const path = file('half.csv', ['date,model,unit', '2024-07-01,gpt-4o,input_tokens'].join('\n'));
    await expect(collect(path, { format: 'invoice' })).rejects.toThrow(
      /needs a "unit" and a "units" \(or "quantity"\) column/,
    );
  });
});
