import { describe, expect, it } from 'vitest';
import type { Series } from '../series.js';
import { noisyOracle } from './index.js';
import { fillStandardNormal, mulberry32 } from './random.js';

const flat = (n: number, value: number): Series => ({
  zone: 'TEST',
  source: 'flat',
  startMs: 0,
  stepMs: 1_800_000,
  values: new Float64Array(n).fill(value),
});

describe('mulberry32 and Box–Muller', () => {
  it('gives uniforms in [0, 1) with mean ½ and the same stream for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    let sum = 0;
    let differ = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = a();
      if (u !== b()) differ++;
      if (u < 0 || u >= 1) outside++;
      sum += u;
    }
    expect({ differ, outside }).toEqual({ differ: 0, outside: 0 });
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });

  it('gives standard normals: mean 0, variance 1, 95 % within ±1.96', () => {
    const z = fillStandardNormal(new Float64Array(200_001), 7);
    let sum = 0;
    let squares = 0;
    let inside = 0;
    for (const x of z) {
      sum += x;
      squares += x * x;
      if (Math.abs(x) < 1.959964) inside++;
    }
    expect(Math.abs(sum / z.length)).toBeLessThan(0.01);
    expect(squares / z.length).toBeGreaterThan(0.99);
    expect(squares / z.length).toBeLessThan(1.01);
    expect(inside / z.length).toBeCloseTo(0.95, 2);
  });
});

describe('noisyOracle', () => {
  it('is the truth at 0 % error', () => {
    const s: Series = { ...flat(4, 0), values: Float64Array.from([5, 6, 7, 8]) };
    expect(Array.from(noisyOracle({ errorFraction: 0, seed: 1 }).forecast(s, 1, 3))).toEqual([6, 7, 8]);
  });

  it('adds noise with std = e × series mean (5 % of 200 = 10)', () => {
    const s = flat(100_000, 200);
    const r = noisyOracle({ errorFraction: 0.05, seed: 3 }).forecast(s, 0, 100_000);
    let sum = 0;
    let squares = 0;
    for (const v of r) {
      sum += v - 200;
      squares += (v - 200) ** 2;
    }
    expect(Math.abs(sum / r.length)).toBeLessThan(0.1);
    expect(Math.sqrt(squares / r.length)).toBeGreaterThan(9.9);
    expect(Math.sqrt(squares / r.length)).toBeLessThan(10.1);
  });

  it('scales with a given mean instead of the series mean', () => {
    const s = flat(100_000, 200);
    const r = noisyOracle({ errorFraction: 0.1, seed: 3, meanGPerKwh: 50 }).forecast(s, 0, 100_000);
    let squares = 0;
    for (const v of r) squares += (v - 200) ** 2;
    expect(Math.sqrt(squares / r.length)).toBeCloseTo(5, 1);
  });

  it('shows every forecast the same noisy world for one seed, another for another seed', () => {
    const s = flat(1_000, 100);
    const f = noisyOracle({ errorFraction: 0.1, seed: 9 });
    const whole = f.forecast(s, 0, 1_000);
    expect(Array.from(f.forecast(s, 500, 10))).toEqual(Array.from(whole.subarray(500, 510)));
    expect(Array.from(noisyOracle({ errorFraction: 0.1, seed: 9 }).forecast(s, 500, 10))).toEqual(
      Array.from(whole.subarray(500, 510)),
    );
    expect(noisyOracle({ errorFraction: 0.1, seed: 10 }).forecast(s, 500, 1)[0]).not.toBe(whole[500]);
    const out = new Float64Array(10);
    expect(f.forecast(s, 500, 10, out)).toBe(out);
  });

  it('refuses to look past the end of the series', () => {
    expect(() => noisyOracle({ errorFraction: 0.05, seed: 1 }).forecast(flat(10, 1), 8, 3)).toThrow(
      /past the series/,
    );
  });
});
