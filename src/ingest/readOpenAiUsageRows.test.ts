import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ImportItem, type ReadOptions, readEvents } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-openai-'));
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

const DAY = 1727740800; // 2024-10-01T00:00:00Z

function page(results: object[], start = DAY): object {
  return {
    object: 'page',
    data: [{ object: 'bucket', start_time: start, end_time: start + 86400, results }],
    has_more: false,
  };
}

describe('readEvents: OpenAI usage export', () => {
  it('maps the sample page: an event per result, requests, cached tokens, project, bucket time', async () => {
    const items = await collect(new URL('openai-usage.json', EXAMPLES).pathname);
    expect(items.filter((i) => i.error)).toEqual([]);
    expect(items).toHaveLength(8);
    expect(items[0]).toMatchObject({
      line: 9,
      event: {
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-4o-2024-08-06',
        inputTokens: 3841200,
        outputTokens: 902100,
        cachedInputTokens: 1310720,
        requests: 2610,
        project: 'proj_supportbot',
        startTime: '2024-10-01T00:00:00.000Z',
        tags: { batch: 'false' },
      },
    });
    expect(items[2]?.event?.tags).toEqual({ batch: 'true' });
    expect(items[3]?.event?.startTime).toBe('2024-10-02T00:00:00.000Z');
    expect(items.map((i) => i.event?.id)).toEqual(
      items.map(() => expect.stringMatching(/^imp_[0-9a-f]{32}_0$/)),
    );
  });

  it('maps embeddings, images, speech and transcription results to their operations', async () => {
    const path = file(
      'kinds.json',
      JSON.stringify(
        page([
          {
            object: 'organization.usage.embeddings.result',
            input_tokens: 5000,
            num_model_requests: 7,
            model: 'text-embedding-3-small',
          },
          {
            object: 'organization.usage.images.result',
            images: 6,
            num_model_requests: 3,
            size: '1024x1792',
            source: 'image.generation',
            model: 'dall-e-3',
          },
          {
            object: 'organization.usage.images.result',
            images: 2,
            num_model_requests: 2,
            source: 'image.edit',
            model: 'dall-e-2',
          },
          {
            object: 'organization.usage.audio_speeches.result',
            characters: 900,
            num_model_requests: 4,
            model: 'tts-1',
          },
          {
            object: 'organization.usage.audio_transcriptions.result',
            seconds: 61,
            num_model_requests: 2,
            model: 'whisper-1',
          },
        ]),
        null,
        2,
      ),
    );
    const events = (await collect(path)).map((i) => i.event);
    expect(events[0]).toMatchObject({ operation: 'embeddings', inputTokens: 5000, requests: 7 });
    expect(events[1]).toMatchObject({
      operation: 'image_generation',
      images: { count: 6, width: 1024, height: 1792 },
      requests: 3,
    });
    expect(events[2]).toMatchObject({ operation: 'image_edit', images: { count: 2 } });
    expect(events[3]).toMatchObject({ operation: 'audio_speech', audio: { characters: 900 }, requests: 4 });
    expect(events[4]).toMatchObject({
      operation: 'audio_transcription',
      audio: { seconds: 61 },
      requests: 2,
    });
  });

  it('reports a bad result on the line its object starts, with bucket and result numbers', async () => {
    const text = JSON.stringify(
      [
        page([
          {
            object: 'organization.usage.completions.result',
            input_tokens: 5,
            output_tokens: 1,
            num_model_requests: 1,
            model: 'gpt-4o',
          },
        ]),
        page(
          [
            {
              object: 'organization.usage.completions.result',
              input_tokens: 5,
              output_tokens: 1,
              num_model_requests: 1,
              model: null,
            },
            {
              object: 'organization.usage.completions.result',
              input_tokens: 0,
              output_tokens: 0,
              num_model_requests: 0,
              model: 'gpt-4o',
            },
            { object: 'organization.usage.vector_stores.result', usage_bytes: 10 },
          ],
          DAY + 86400,
        ),
      ],
      null,
      2,
    );
    const lines = text.split('\n');
    const nullModelLine = lines.findIndex((l) => l.includes('"model": null')) + 1;
    const vectorLine = lines.findIndex((l) => l.includes('vector_stores')) + 1;
    const items = await collect(file('bad.json', text));
    // The all-zero result is skipped like a blank line.
    expect(items).toHaveLength(3);
    // The line of the '{' that opens the result holding line n.
    const opening = (n: number) => {
      let i = n - 1;
      while (lines[i]?.trim() !== '{') i--;
      return i + 1;
    };
    expect(items[1]?.line).toBe(opening(nullModelLine));
    expect(items[1]?.error).toMatch(
      /^bucket 2, result 1: requestModel \(field "model" is null: export with group_by=model\)/,
    );
    expect(items[2]?.line).toBe(opening(vectorLine));
    expect(items[2]?.error).toMatch(
      /^bucket 2, result 3: result type organization.usage.vector_stores.result is not imported/,
    );
  });

  it('streams JSON Lines of pages, each row on its page line', async () => {
    const line = (start: number) =>
      JSON.stringify(
        page(
          [
            {
              object: 'organization.usage.completions.result',
              input_tokens: 9,
              output_tokens: 2,
              input_cached_tokens: 4,
              num_model_requests: 3,
              model: 'gpt-4o-mini',
            },
          ],
          start,
        ),
      );
    const path = file(
      'pages.jsonl',
      `${line(DAY)}\n\n${line(DAY + 86400)}\n{"object":"page","data":[{"object":"bucket"}]}\n`,
    );
    const items = await collect(path);
    expect(items.map((i) => i.line)).toEqual([1, 3, 4]);
    expect(items[1]?.event).toMatchObject({
      inputTokens: 9,
      cachedInputTokens: 4,
      requests: 3,
      startTime: '2024-10-02T00:00:00.000Z',
    });
    expect(items[2]?.error).toMatch(/^bucket 1: expected an OpenAI usage bucket/);
  });

  it('reports a JSON syntax error on its line', async () => {
    const items = await collect(file('broken.json', '{\n  "object": "page",\n  "data": [\n    {,\n  ]\n}\n'));
    expect(items).toEqual([{ line: 4, error: expect.stringMatching(/^invalid JSON/) }]);
  });

  it('gives the same ids when an overlapping export is imported again', async () => {
    const result = {
      object: 'organization.usage.completions.result',
      input_tokens: 5,
      output_tokens: 1,
      num_model_requests: 1,
      model: 'gpt-4o',
    };
    const a = await collect(file('a.json', JSON.stringify(page([result]), null, 2)));
    const b = await collect(file('b.json', JSON.stringify([page([result]), page([result], DAY + 86400)])));
    expect(b[0]?.event?.id).toBe(a[0]?.event?.id);
    expect(b[1]?.event?.id).not.toBe(a[0]?.event?.id);
  });
});
