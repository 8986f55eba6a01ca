import { describe, expect, it } from 'vitest';
import { accuracyRows, summarise } from '../bench/lib/accuracy.js';
import { HAS_SHARED_DATA } from '../bench/lib/shared.js';

// Validation against ML.ENERGY leaderboard v2 (GPU energy measured with Zeus on A100-40GB and
// H100, vLLM): each row is estimated at boundary=gpu with the row's GPU, GPU count, batch size and
// precision. Thresholds from issue #2: median |log10(estimate / measured)| ≤ 0.12 and no row off by more than 3×.
const rows = HAS_SHARED_DATA ? accuracyRows() : [];

describe.skipIf(!HAS_SHARED_DATA)('accuracy against ML.ENERGY v2 (../shared/data)', () => {
  for (const kind of ['llm', 'diffusion'] as const) {
    it(`${kind}: median |log10 ratio| ≤ 0.12 and every row within 3×`, () => {
      const subset = rows.filter((r) => r.kind === kind);
      expect(subset.length).toBeGreaterThan(100);
      const s = summarise(subset);
      const worst = subset
        .map((r) => ({
          label: r.label,
          factor: Math.max(r.estimateWh / r.measuredWh, r.measuredWh / r.estimateWh),
        }))
        .filter((r) => r.factor > 3);
      expect(worst).toEqual([]);
      expect(s.medianAbsLog10).toBeLessThanOrEqual(0.12);
    });
  }

  it('beats the EcoLogits method on the LLM rows', () => {
    const s = summarise(rows.filter((r) => r.kind === 'llm'));
    expect(s.ecologits).not.toBeNull();
    expect(s.medianAbsLog10).toBeLessThan(s.ecologits?.medianAbsLog10 ?? 0);
  });

  it('the stated range holds most measured rows', () => {
    const s = summarise(rows.filter((r) => r.kind === 'llm'));
    expect(s.insideRange).toBeGreaterThan(0.8);
  });
});
