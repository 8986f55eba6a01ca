/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a small, fast, seeded PRNG, good enough for
 * simulation noise, and deterministic across platforms. Returns uniforms in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fills `out` with i.i.d. standard normal draws (Box–Muller, both values of each pair used) from
 * a mulberry32 stream seeded with `seed`.
 */
export function fillStandardNormal(out: Float64Array, seed: number): Float64Array {
  const uniform = mulberry32(seed);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[i] = r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
