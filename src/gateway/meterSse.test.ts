import { describe, expect, it } from 'vitest';
import { meterSse, type SseHooks, type StreamOutcome } from './meterSse.js';

/** A body delivering `text` in chunks of `size` bytes (splitting lines and UTF-8 characters), then `fail`. */
function body(text: string, size: number, fail?: Error): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pos >= bytes.length) {
        if (fail) controller.error(fail);
        else controller.close();
        return;
      }
      controller.enqueue(bytes.slice(pos, pos + size));
      pos += size;
    },
  });
}

function hooks(drop: (data: Record<string, unknown>) => boolean = () => false) {
  const seen: { data: unknown; event: string | undefined }[] = [];
  const outcomes: StreamOutcome[] = [];
  const h: SseHooks = {
    see(data, event) {
      seen.push({ data, event });
      return !drop(data as Record<string, unknown>);
    },
    end(outcome) {
      outcomes.push(outcome);
      return `: end ${seen.length}\n\n`;
    },
    errorEvent: (error) => `data: {"error":"${(error as Error).message}"}\n\n`,
  };
  return { h, seen, outcomes };
}

const OPENAI = [
  'data: {"choices":[{"delta":{"content":"Grüße "}}]}\n\n',
  ': keep-alive comment\n\n',
  'data: {"choices":[{"delta":{"content":"🌍"}}]}\r\n\r\n',
  'data: {"choices":[],"usage":{"prompt_tokens":3}}\r\r',
  'data: [DONE]\n\n',
];

describe('meterSse', () => {
  for (const size of [1, 3, 7, 1000]) {
    it(`passes events unchanged, drops the refused one and puts the trailer before [DONE] (chunks of ${size} B)`, async () => {
      const { h, seen, outcomes } = hooks((d) => Array.isArray(d.choices) && d.choices.length === 0);
      const out = await new Response(meterSse(body(OPENAI.join(''), size), h)).text();
      expect(out).toBe(`${OPENAI[0]}${OPENAI[1]}${OPENAI[2]}: end 3\n\n${OPENAI[4]}`);
      expect(seen.map((s) => s.data)).toEqual([
        { choices: [{ delta: { content: 'Grüße ' } }] },
        { choices: [{ delta: { content: '🌍' } }] },
        { choices: [], usage: { prompt_tokens: 3 } },
      ]);
      expect(outcomes).toEqual(['done']);
    });
  }

  it('reads multi-line data and event names; without [DONE] the trailer comes at the end', async () => {
    const text =
      'event: message_start\ndata: {"a":\ndata: 1}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
    const { h, seen, outcomes } = hooks();
    const out = await new Response(meterSse(body(text, 5), h)).text();
    expect(out).toBe(`${text}: end 2\n\n`);
    expect(seen).toEqual([
      { data: { a: 1 }, event: 'message_start' },
      { data: { type: 'message_stop' }, event: 'message_stop' },
    ]);
    expect(outcomes).toEqual(['done']);
  });

  it('lets an unterminated last event through and still sees it', async () => {
    const { h, seen } = hooks();
    const out = await new Response(meterSse(body('data: {"x":1}\n\ndata: {"y":2}', 4), h)).text();
    expect(out).toBe('data: {"x":1}\n\ndata: {"y":2}\n\n: end 2\n\n');
    expect(seen).toHaveLength(2);
  });

  it('on an upstream failure: drops the partial event, sends the error event and the trailer, then closes', async () => {
    const { h, outcomes } = hooks();
    const out = await new Response(
      meterSse(body('data: {"x":1}\n\ndata: {"y"', 4, new Error('reset')), h),
    ).text();
    expect(out).toBe('data: {"x":1}\n\ndata: {"error":"reset"}\n\n: end 1\n\n');
    expect(outcomes).toEqual(['error']);
  });

  it('on client cancel: ends once with "cancel" and cancels the upstream body', async () => {
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"x":1}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { h, outcomes } = hooks();
    const reader = meterSse(upstream, h).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: {"x":1}\n\n');
    await reader.cancel();
    expect(cancelled).toBe(true);
    expect(outcomes).toEqual(['cancel']);
  });
});
