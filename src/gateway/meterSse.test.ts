import { describe, expect, it } from 'vitest';
import { meterSse, type SseHooks, type StreamOutcome } from './meterSse.js';

/** Feeds `text` to a meter in chunks of `size` bytes (splitting lines and UTF-8 characters), then ends or fails it. */
function run(text: string, size: number, h: SseHooks, fail?: Error): string {
  const bytes = new TextEncoder().encode(text);
  const meter = meterSse(h);
  let out = '';
  for (let pos = 0; pos < bytes.length; pos += size) out += meter.write(bytes.slice(pos, pos + size));
  return out + (fail ? meter.fail(fail) : meter.end());
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
    it(`passes events unchanged, drops the refused one and puts the trailer before [DONE] (chunks of ${size} B)`, () => {
      const { h, seen, outcomes } = hooks((d) => Array.isArray(d.choices) && d.choices.length === 0);
      const out = run(OPENAI.join(''), size, h);
      expect(out).toBe(`${OPENAI[0]}${OPENAI[1]}${OPENAI[2]}: end 3\n\n${OPENAI[4]}`);
      expect(seen.map((s) => s.data)).toEqual([
        { choices: [{ delta: { content: 'Grüße ' } }] },
        { choices: [{ delta: { content: '🌍' } }] },
        { choices: [], usage: { prompt_tokens: 3 } },
      ]);
      expect(outcomes).toEqual(['done']);
    });
  }

  it('reads multi-line data and event names; without [DONE] the trailer comes at the end', () => {
    const text =
      'event: message_start\ndata: {"a":\ndata: 1}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
    const { h, seen, outcomes } = hooks();
    const out = run(text, 5, h);
    expect(out).toBe(`${text}: end 2\n\n`);
    expect(seen).toEqual([
      { data: { a: 1 }, event: 'message_start' },
      { data: { type: 'message_stop' }, event: 'message_stop' },
    ]);
    expect(outcomes).toEqual(['done']);
  });

  it('lets an unterminated last event through and still sees it', () => {
    const { h, seen } = hooks();
    const out = run('data: {"x":1}\n\ndata: {"y":2}', 4, h);
    expect(out).toBe('data: {"x":1}\n\ndata: {"y":2}\n\n: end 2\n\n');
    expect(seen).toHaveLength(2);
  });

  it('on an upstream failure: drops the partial event, sends the error event and the trailer, then closes', () => {
    const { h, outcomes } = hooks();
    const out = run('data: {"x":1}\n\ndata: {"y"', 4, h, new Error('reset'));
    expect(out).toBe('data: {"x":1}\n\ndata: {"error":"reset"}\n\n: end 1\n\n');
    expect(outcomes).toEqual(['error']);
  });

  it('on client cancel: ends once with "cancel", and nothing more is said', () => {
    const { h, outcomes } = hooks();
    const meter = meterSse(h);
    expect(meter.write(new TextEncoder().encode('data: {"x":1}\n\ndata: {"y"'))).toBe('data: {"x":1}\n\n');
    meter.cancel();
    expect(meter.fail(new Error('late'))).toBe('');
    expect(outcomes).toEqual(['cancel']);
  });
});
