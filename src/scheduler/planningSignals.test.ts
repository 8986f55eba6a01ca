import { describe, expect, it } from 'vitest';
import { persistence } from './forecast/index.js';
import { sourceSignals, traceSignals } from './planningSignals.js';
import { HALF_HOUR_MS, type Series } from './series.js';
import type { CarbonIntensitySource, SignalSeries } from './signals/index.js';

const WEEK = 336;
const t0 = Date.UTC(2024, 0, 1);
// Two weeks of half hours: value = slot index, so every lookup says where it came from.
const series: Series = {
  zone: 'DE',
  source: 'test',
  startMs: t0,
  stepMs: HALF_HOUR_MS,
  values: Float64Array.from({ length: 2 * WEEK }, (_, i) => i),
};

describe('traceSignals', () => {
  it('answers the slots covering a window, and nothing outside the trace unless replaying', async () => {
    const signals = traceSignals(new Map([['DE', series]]));
    const w = await signals.actual('DE', t0 + 10 * HALF_HOUR_MS + 5, t0 + 13 * HALF_HOUR_MS);
    expect(w?.startMs).toBe(t0 + 10 * HALF_HOUR_MS);
    expect(Array.from(w?.values ?? [])).toEqual([10, 11, 12]);
    expect(
      await signals.actual('DE', t0 + 3 * WEEK * HALF_HOUR_MS, t0 + (3 * WEEK + 2) * HALF_HOUR_MS),
    ).toBeUndefined();
    expect(await signals.actual('FR', t0, t0 + HALF_HOUR_MS)).toBeUndefined();
  });

  it('replays whole weeks: a time five weeks on reads the same slot of the week', async () => {
    const signals = traceSignals(new Map([['DE', series]]), { replay: true });
    const w = await signals.actual(
      'DE',
      t0 + (5 * WEEK + 7) * HALF_HOUR_MS,
      t0 + (5 * WEEK + 9) * HALF_HOUR_MS,
    );
    expect(Array.from(w?.values ?? [])).toEqual([WEEK + 7, WEEK + 8]);
    expect(w?.source).toMatch(/replayed/);
  });

  it('with a forecaster, the planner sees a prediction from the past only', async () => {
    const signals = traceSignals(new Map([['DE', series]]), { forecaster: persistence(), historySlots: 48 });
    const from = t0 + 100 * HALF_HOUR_MS;
    const f = await signals.forecast('DE', from, from + 3 * HALF_HOUR_MS);
    expect(Array.from(f?.values ?? [])).toEqual([99, 99, 99]);
    expect(f?.source).toMatch(/^persistence/);
  });
});

/** A provider with history everywhere and a forecast `forecastSlots` long. */
function provider(forecastSlots: number): CarbonIntensitySource {
  const slice = (fromMs: number, toMs: number, offset: number): SignalSeries => {
    const from = Math.floor(fromMs / HALF_HOUR_MS) * HALF_HOUR_MS;
    const n = Math.ceil((toMs - from) / HALF_HOUR_MS);
    const first = (from - t0) / HALF_HOUR_MS;
    return {
      ...series,
      startMs: from,
      values: Float64Array.from({ length: n }, (_, i) => first + i + offset),
      warnings: [],
    };
  };
  return {
    name: 'provider',
    history: async (_zone, fromMs, toMs) => slice(fromMs, toMs, 0),
    forecast: async (_zone, fromMs, toMs) =>
      slice(fromMs, Math.min(toMs, fromMs + forecastSlots * HALF_HOUR_MS), 1000),
  };
}

describe('sourceSignals', () => {
  it('uses the provider forecast when it covers the window, and continues it with the forecaster when short', async () => {
    const from = t0 + 400 * HALF_HOUR_MS;
    const full = sourceSignals(new Map([['GB', provider(10)]]), {
      forecaster: persistence(),
      historySlots: 48,
    });
    expect(Array.from((await full.forecast('GB', from, from + 3 * HALF_HOUR_MS))?.values ?? [])).toEqual([
      1400, 1401, 1402,
    ]);
    const short = await full.forecast('GB', from, from + 12 * HALF_HOUR_MS);
    // Ten forecast slots, then persistence of the last known actual (slot 399).
    expect(Array.from(short?.values ?? []).slice(8)).toEqual([1408, 1409, 399, 399]);
    expect(short?.source).toBe('provider forecast, then persistence');
    expect(Array.from((await full.actual('GB', from, from + HALF_HOUR_MS))?.values ?? [])).toEqual([400]);
    expect(await full.forecast('FR', from, from + HALF_HOUR_MS)).toBeUndefined();
  });
});
