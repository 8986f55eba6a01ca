import { describe, expect, it } from 'vitest';
import { OccurrenceCounter } from './occurrenceCounter.js';

describe('OccurrenceCounter', () => {
  it('agrees with a Map over many keys, through several growths and with colliding low halves', () => {
    const counter = new OccurrenceCounter();
    const reference = new Map<string, number>();
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const got: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      // Keys share low halves (probe chains) and repeat (counts above 1); hi tells them apart.
      const hi = random() % 20_000;
      const lo = (random() % 4096) * 256;
      const key = `${hi}:${lo}`;
      const seen = reference.get(key) ?? 0;
      reference.set(key, seen + 1);
      expected.push(seen);
      got.push(counter.next(hi, lo));
    }
    expect(got).toEqual(expected);
    expect(Math.max(...got)).toBeGreaterThan(0);
    expect(counter.size).toBe(reference.size);
  });

  it('treats 0 and values above 2^31 as ordinary keys', () => {
    const counter = new OccurrenceCounter();
    expect(counter.next(0, 0)).toBe(0);
    expect(counter.next(0, 0)).toBe(1);
    expect(counter.next(0xffffffff, 0x80000000)).toBe(0);
    expect(counter.next(-1, -2147483648)).toBe(1);
  });
});
