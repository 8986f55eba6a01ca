import { describe, expect, it } from 'vitest';
import { ecologitsLlmImpacts } from './ecologits.js';

// Golden values computed from EcoLogits' published formulas (shared/data/anchors/ECOLOGITS_METHOD.md,
// "Test vectors"), and EcoLogits' own blog figure for Mistral Large 2 at 400 tokens (0.23 Wh).
const mistralLarge = {
  activeParamsB: 123,
  totalParamsB: 123,
  tps: 36.9,
  ttftS: 1.05,
  pue: 1.16,
  wueOnsiteLPerKwh: 0.09,
  wueOffsiteLPerKwh: 6.0315,
  gwpKgPerKwh: 0.03582,
};

describe("EcoLogits' method, re-implemented", () => {
  it('matches the mistral-large-2411 test vectors within 2%', () => {
    const r250 = ecologitsLlmImpacts({ ...mistralLarge, outputTokens: 250 });
    expect(r250.gpuCount).toBe(4);
    expect(r250.latencyS).toBeCloseTo(7.8, 1);
    expect(r250.energyWh).toBeCloseTo(0.152, 2);
    expect(Math.abs(r250.gwpEmbodiedG / 0.0045 - 1)).toBeLessThan(0.02);
    const r400 = ecologitsLlmImpacts({ ...mistralLarge, outputTokens: 400 });
    expect(Math.abs(r400.energyWh / 0.241 - 1)).toBeLessThan(0.02);
    expect(Math.abs(r400.waterMl / 1.71 - 1)).toBeLessThan(0.02);
    expect(Math.abs(r400.gwpEmbodiedG / 0.0069 - 1)).toBeLessThan(0.03);
  });

  it('is within 5% of the 0.23 Wh EcoLogits published for Mistral Large 2 at 400 tokens', () => {
    const r = ecologitsLlmImpacts({ ...mistralLarge, outputTokens: 400 });
    expect(Math.abs(r.energyWh / 0.23 - 1)).toBeLessThan(0.05);
  });

  it('spans the gpt-4o range at 250 tokens (440B MoE, 44–132B active, 16 GPUs)', () => {
    const common = {
      totalParamsB: 440,
      outputTokens: 250,
      tps: 37.8,
      ttftS: 0.52,
      pue: 1.2,
      wueOnsiteLPerKwh: 0.569,
      wueOffsiteLPerKwh: 3.1321,
      gwpKgPerKwh: 0.38355,
    };
    const lo = ecologitsLlmImpacts({ ...common, activeParamsB: 44 });
    const hi = ecologitsLlmImpacts({ ...common, activeParamsB: 132 });
    expect(lo.gpuCount).toBe(16);
    expect(Math.abs(lo.energyWh / 0.404 - 1)).toBeLessThan(0.02);
    expect(Math.abs(hi.energyWh / 0.644 - 1)).toBeLessThan(0.02);
  });
});
