import { describe, expect, it } from 'vitest';
import {
  createEstimator,
  GreenprintError,
  gpuCountForModel,
  type Impact,
  parseUsageEvent,
  resolveGpu,
  type UsageEvent,
} from '../src/core/index.js';
import { loadReferenceData, readTrace } from '../src/data/index.js';

const ref = loadReferenceData();
const estimator = createEstimator(ref);
const llama8b: UsageEvent = {
  requestModel: 'meta-llama/Llama-3.1-8B-Instruct',
  inputTokens: 500,
  outputTokens: 300,
};

function rel(a: number, b: number): number {
  return Math.abs(a / b - 1);
}

function expectFullImpact(i: Impact): void {
  for (const r of [i.energyWh, i.carbonGCO2e.location, i.waterMl, i.embodiedGCO2e]) {
    expect(r.low).toBeGreaterThan(0);
    expect(r.low).toBeLessThanOrEqual(r.mid);
    expect(r.mid).toBeLessThanOrEqual(r.high);
  }
  expect(['gpu', 'server', 'facility']).toContain(i.boundary);
  expect(i.ghg.operational.scope).toBeGreaterThanOrEqual(2);
  expect(i.assumptions.grid.source).toMatch(/Electricity Maps|Ember/);
  expect(i.assumptions.pue.mid).toBeGreaterThan(1);
  expect(i.sources.length).toBeGreaterThan(2);
  expect(i.methodologyVersion).toMatch(/^\d{4}\.\d+\.\d+$/);
}

describe('text model', () => {
  it('matches the worked example of docs/methodology.md at the GPU boundary', () => {
    // Llama 3.1 8B on one H100, batch 64, bf16, 500 input and 300 output tokens, computed by hand
    // from the formulas and data/coefficients.json.
    const h100 = resolveGpu(ref.hardware, 'H100');
    const fit = ref.coefficients.text.find((f) => f.gpu === 'H100');
    if (!fit) throw new Error('no H100 fit');
    const p = 8.03;
    const prefillJ =
      (2 * p * 1e9 * h100.tdpW) / (h100.bf16Tflops * 1e12 * ref.methodology.constants.prefillMfu.value);
    const decodeJ = fit.computeJPerTokenPerB * p + (fit.weightsJPerGB * p * 2) / 64 + fit.perGpuJPerToken * 1;
    const expectedWh = (500 * prefillJ + 300 * decodeJ) / 3600;
    const i = estimator.estimate(
      { ...llama8b, hardware: { gpu: 'H100', gpuCount: 1, batchSize: 64 } },
      { boundary: 'gpu' },
    );
    expect(rel(i.energyWh.mid, expectedWh)).toBeLessThan(1e-3);
    // And the magnitude: ML.ENERGY measured 0.171 J/token at batch 64 on H100 for this model.
    expect(expectedWh).toBeGreaterThan(0.012);
    expect(expectedWh).toBeLessThan(0.025);
  });

  it('fp8 weights need half the GPUs of bf16', () => {
    const h100 = resolveGpu(ref.hardware, 'H100');
    expect(gpuCountForModel(70.55, 'bf16', h100)).toBe(4);
    expect(gpuCountForModel(70.55, 'fp8', h100)).toBe(2);
    expect(gpuCountForModel(405.85, 'bf16', h100)).toBe(16);
    expect(gpuCountForModel(405.85, 'fp8', h100)).toBe(8);
    const bf16 = estimator.estimate({
      ...llama8b,
      requestModel: 'meta-llama/Llama-3.1-405B-Instruct',
      hardware: { gpu: 'H100', batchSize: 64 },
    });
    const fp8 = estimator.estimate({
      ...llama8b,
      requestModel: 'meta-llama/Llama-3.1-405B-Instruct',
      hardware: { gpu: 'H100', batchSize: 64, precision: 'fp8' },
    });
    expect(bf16.assumptions.hardware.gpuCount.mid).toBe(16);
    expect(fp8.assumptions.hardware.gpuCount.mid).toBe(8);
    expect(fp8.energyWh.mid).toBeLessThan(bf16.energyWh.mid * 0.75);
  });

  it('input tokens cost energy, cached input tokens skip prefill, reasoning tokens are output', () => {
    const base = estimator.estimate(llama8b).energyWh.mid;
    expect(estimator.estimate({ ...llama8b, inputTokens: 5000 }).energyWh.mid).toBeGreaterThan(base * 1.5);
    expect(estimator.estimate({ ...llama8b, cachedInputTokens: 400 }).energyWh.mid).toBeLessThan(base);
    expect(estimator.estimate({ ...llama8b, reasoningTokens: 200 }).energyWh.mid).toBe(base);
    expect(() => estimator.estimate({ ...llama8b, cachedInputTokens: 600 })).toThrow(/Cached input tokens/);
  });

  it('boundaries nest: gpu < server < facility, facility / server = PUE', () => {
    const gpu = estimator.estimate(
      { ...llama8b, provider: 'openai', requestModel: 'gpt-4o-mini' },
      { boundary: 'gpu' },
    );
    const server = estimator.estimate(
      { ...llama8b, provider: 'openai', requestModel: 'gpt-4o-mini' },
      { boundary: 'server' },
    );
    const facility = estimator.estimate({ ...llama8b, provider: 'openai', requestModel: 'gpt-4o-mini' });
    expect(server.energyWh.mid).toBeGreaterThan(gpu.energyWh.mid);
    expect(rel(facility.energyWh.mid / server.energyWh.mid, facility.assumptions.pue.mid)).toBeLessThan(1e-3);
    expect(facility.boundary).toBe('facility');
  });

  it('a closed model spans its parameter range and says so', () => {
    const i = estimator.estimate({ requestModel: 'gpt-4o', inputTokens: 1000, outputTokens: 500 });
    expect(i.assumptions.model.activeParamsB.low).toBe(44);
    expect(i.assumptions.model.activeParamsB.high).toBe(132);
    expect(i.warnings.map((w) => w.code)).toContain('model-arch-not-released');
    expect(i.energyWh.high / i.energyWh.low).toBeGreaterThan(3);
    expect(i.costUsd?.mid).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6, 6);
  });
});

describe('carbon, water, embodied, scope', () => {
  it('carbon = energy × grid intensity of the region (location) and of the supplier factor (market)', () => {
    const i = estimator.estimate({ ...llama8b, region: 'DE', marketFactorGPerKwh: 50 });
    const de = ref.grid.get('DE');
    expect(i.assumptions.grid.gPerKwh).toBe(de?.gPerKwh);
    expect(i.assumptions.grid.year).toBe(de?.year);
    expect(rel(i.carbonGCO2e.location.mid, (i.energyWh.mid * (de?.gPerKwh ?? 0)) / 1000)).toBeLessThan(2e-3);
    expect(rel(i.carbonGCO2e.market?.mid ?? 0, (i.energyWh.mid * 50) / 1000)).toBeLessThan(2e-3);
  });

  it('a cloud region maps to its grid zone; an unknown region is refused', () => {
    const i = estimator.estimate({ ...llama8b, region: 'eu-north-1' });
    expect(i.assumptions.grid.zone.startsWith('SE')).toBe(true);
    expect(() => estimator.estimate({ ...llama8b, region: 'XX-NOWHERE' })).toThrow(GreenprintError);
  });

  it('no region and no provider region gives the world average with a warning', () => {
    const i = estimator.estimate({ ...llama8b, provider: 'self_hosted', deployment: 'self_hosted' });
    expect(i.assumptions.grid.zone).toBe('WORLD');
    expect(i.warnings.map((w) => w.code)).toContain('region-unknown-world-average');
    expect(i.ghg.operational.scope).toBe(2);
    expect(i.ghg.embodied).toMatchObject({ scope: 3, category: 2 });
    expect(i.costUsd).toBeNull();
  });

  it('an hourly trace sets the intensity of the event hour', () => {
    const trace = readTrace(new URL('../data/grid/DE-LU_2024_hourly.csv', import.meta.url).pathname);
    const i = estimator.estimate({ ...llama8b, region: 'DE', startTime: '2024-06-01T12:30:00Z' }, { trace });
    // Row "2024-06-01 12:00:00" of the Electricity Maps export, lifecycle column.
    const hour = trace.points.find((p) => p.startMs === Date.parse('2024-06-01T12:00:00Z'));
    expect(i.assumptions.grid.gPerKwh).toBe(hour?.gPerKwh);
    expect(i.assumptions.grid.hour).toBe('2024-06-01T12:00:00.000Z');
    const noRegion = estimator.estimate({ ...llama8b, startTime: '2024-06-01T12:30:00Z' }, { trace });
    expect(noRegion.assumptions.grid.zone).toBe('DE');
    expect(noRegion.assumptions.wueOffsiteLPerKwh).toBe(ref.waterIntensity.get('DE')?.lPerKwh);
    expect(noRegion.warnings.map((w) => w.code)).not.toContain('region-provider-default');
    const outside = estimator.estimate(
      { ...llama8b, region: 'DE', startTime: '2019-06-01T12:30:00Z' },
      { trace },
    );
    expect(outside.warnings.map((w) => w.code)).toContain('grid-hour-outside-trace');
  });

  it('water adds on-site cooling and off-site generation water', () => {
    const i = estimator.estimate({ ...llama8b, region: 'FR' });
    const server = estimator.estimate({ ...llama8b, region: 'FR' }, { boundary: 'server' }).energyWh.mid;
    const expected =
      server * i.assumptions.wueOnsiteLPerKwh.mid + i.energyWh.mid * i.assumptions.wueOffsiteLPerKwh;
    expect(rel(i.waterMl.mid, expected)).toBeLessThan(5e-3);
  });

  it('measured energy replaces the estimate', () => {
    const i = estimator.estimate({ ...llama8b, measuredEnergy: { wh: 0.5, boundary: 'facility' } });
    expect(i.energyWh).toEqual({ low: 0.5, mid: 0.5, high: 0.5 });
    expect(i.warnings.map((w) => w.code)).toContain('measured-energy-used');
  });
});

describe('every modality returns a full Impact', () => {
  const cases: [string, UsageEvent][] = [
    ['chat', llama8b],
    [
      'image',
      {
        requestModel: 'stabilityai/stable-diffusion-xl-base-1.0',
        images: { count: 2, width: 1024, height: 1024, steps: 30 },
      },
    ],
    ['managed image', { requestModel: 'dall-e-3', images: { count: 1 } }],
    ['video', { requestModel: 'ali-vilab/text-to-video-ms-1.7b', video: { seconds: 4, fps: 8 } }],
    ['speech', { requestModel: 'tts-1', audio: { characters: 1200 } }],
    ['transcription', { requestModel: 'whisper-1', audio: { seconds: 600 } }],
    ['embeddings', { requestModel: 'text-embedding-3-small', inputTokens: 10_000 }],
    ['music', { requestModel: 'facebook/musicgen-large', audio: { seconds: 30 } }],
    [
      'fine-tuning',
      { requestModel: 'meta-llama/Llama-3.1-8B-Instruct', operation: 'fine_tuning', inputTokens: 10_000_000 },
    ],
  ];
  for (const [name, event] of cases) {
    it(name, () => expectFullImpact(estimator.estimate(parseUsageEvent(event))));
  }

  it('image energy scales with pixels and steps; video with seconds', () => {
    const img = (w: number, steps: number) =>
      estimator.estimate(
        {
          requestModel: 'stabilityai/stable-diffusion-xl-base-1.0',
          images: { count: 1, width: w, height: w, steps },
        },
        { boundary: 'gpu' },
      ).energyWh.mid;
    expect(img(1024, 50) / img(1024, 25)).toBeCloseTo(2, 1);
    expect(img(2048, 25) / img(1024, 25)).toBeGreaterThan(3.5);
    const vid = (s: number) =>
      estimator.estimate({ requestModel: 'ali-vilab/text-to-video-ms-1.7b', video: { seconds: s } }).energyWh
        .mid;
    expect(vid(8) / vid(4)).toBeGreaterThan(1.8);
  });
});

describe('bad input', () => {
  it('an unknown model is refused with close matches', () => {
    try {
      estimator.estimate({ ...llama8b, requestModel: 'meta-llama/Llama-3.1-8B-Instrct' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GreenprintError);
      expect((e as GreenprintError).code).toBe('unknown_model');
      expect((e as GreenprintError).details.suggestions).toContain('meta-llama/Llama-3.1-8B-Instruct');
    }
  });

  it('an unknown model is estimated from a size the caller gives', () => {
    const i = estimator.estimate(
      { ...llama8b, requestModel: 'acme/house-model' },
      { paramsB: 30, activeParamsB: 3 },
    );
    expect(i.assumptions.model).toMatchObject({ architecture: 'moe', origin: 'user' });
    expect(i.warnings.map((w) => w.code)).toContain('model-size-user-supplied');
  });

  it('image options on a text model are an impossible combination', () => {
    expect(() => estimator.estimate({ ...llama8b, images: { count: 1 } })).toThrow(
      /do not apply to a text model/,
    );
    expect(() => estimator.estimate({ ...llama8b, operation: 'image_generation' })).toThrow(
      /cannot do "image_generation"/,
    );
  });

  it('parseUsageEvent names every invalid field', () => {
    expect(() => parseUsageEvent({ requestModel: 'gpt-4o', inputTokens: -1, extra: 1 })).toThrow(
      /inputTokens/,
    );
  });
});
