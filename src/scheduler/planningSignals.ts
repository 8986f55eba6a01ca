import type { Forecaster } from './forecast/index.js';
import { HALF_HOUR_MS, type Series, slotAt } from './series.js';
import type { CarbonIntensitySource } from './signals/index.js';

/**
 * What a planner needs of the grid, per zone, on its slot grid: what it believes ahead of time
 * (`forecast`) and, once time has passed, what happened (`actual`, for realised carbon).
 */
export interface PlanningSignals {
  /** Zones this source can speak for. */
  readonly zones: readonly string[];
  /** The slots covering [fromMs, toMs) as believed at `fromMs`; undefined when the zone is unknown. */
  forecast(zone: string, fromMs: number, toMs: number): Promise<Series | undefined>;
  /** The slots covering [fromMs, toMs) as they happened; undefined when unknown. */
  actual(zone: string, fromMs: number, toMs: number): Promise<Series | undefined>;
}

const WEEK_MS = 7 * 86_400_000;

export interface TraceSignalsOptions {
  /**
   * Predicts the future from the trace's past (the planner then never sees the values it is
   * judged by). Without one the planner believes the trace itself: right for a trace that is a
   * forecast, and for tests that need a known plan.
   */
  forecaster?: Forecaster;
  /**
   * Maps any time onto the trace by whole weeks (keeping hour of week and, within a few days, the
   * season), so a sample year stands in for today. For demos and first runs, never for reporting.
   */
  replay?: boolean;
  /** Slots of history the forecaster sees; default four weeks. */
  historySlots?: number;
}

/** Planning signals from recorded series (trace files), one per zone. */
export function traceSignals(
  series: ReadonlyMap<string, Series>,
  options: TraceSignalsOptions = {},
): PlanningSignals {
  const window = (zone: string, fromMs: number, toMs: number): Series | undefined => {
    const s = series.get(zone);
    if (!s) return undefined;
    const from = Math.floor(fromMs / s.stepMs) * s.stepMs;
    const n = Math.max(1, Math.ceil((toMs - from) / s.stepMs));
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = valueAt(s, from + i * s.stepMs, options.replay ?? false);
      if (at === undefined) return undefined;
      values[i] = at;
    }
    const source = options.replay ? `${s.source}, replayed week for week onto the requested dates` : s.source;
    return { zone, source, startMs: from, stepMs: s.stepMs, values };
  };
  return {
    zones: [...series.keys()],
    async actual(zone, fromMs, toMs) {
      return window(zone, fromMs, toMs);
    },
    async forecast(zone, fromMs, toMs) {
      const forecaster = options.forecaster;
      const s = series.get(zone);
      if (!forecaster || !s) return window(zone, fromMs, toMs);
      const historySlots = options.historySlots ?? (WEEK_MS / s.stepMs) * 4;
      const from = Math.floor(fromMs / s.stepMs) * s.stepMs;
      // The history the trace has, up to `historySlots` of it; none before its first slot.
      const historyStart = Math.max(from - historySlots * s.stepMs, options.replay ? -Infinity : s.startMs);
      if (historyStart >= from) return undefined;
      const history = window(zone, historyStart, from);
      if (!history) return undefined;
      const horizon = Math.max(1, Math.ceil((toMs - from) / s.stepMs));
      const values = forecaster.forecast(history, history.values.length, horizon);
      return {
        zone,
        source: `${forecaster.name} forecast over ${history.source}`,
        startMs: from,
        stepMs: s.stepMs,
        values,
      };
    },
  };
}

function valueAt(s: Series, timeMs: number, replay: boolean): number | undefined {
  let i = slotAt(s, timeMs);
  if ((i < 0 || i >= s.values.length) && replay) {
    const weekSlots = WEEK_MS / s.stepMs;
    const weeks = Math.floor(s.values.length / weekSlots);
    if (weeks < 1) return undefined;
    const span = weeks * weekSlots;
    i = ((i % span) + span) % span;
  }
  return i >= 0 && i < s.values.length ? (s.values[i] as number) : undefined;
}

/**
 * Planning signals from live providers, one source per zone (UK Carbon Intensity, Electricity Maps,
 * WattTime, or trace files). The provider's forecast where it has one; where it has none, or it ends
 * before the deadline, the forecaster continues from the provider's history. `actual` is the
 * provider's history, known once the time has passed.
 */
export function sourceSignals(
  sources: ReadonlyMap<string, CarbonIntensitySource>,
  options: { forecaster: Forecaster; historySlots?: number },
): PlanningSignals {
  return {
    zones: [...sources.keys()],
    async actual(zone, fromMs, toMs) {
      const source = sources.get(zone);
      return source ? source.history(zone, fromMs, toMs) : undefined;
    },
    async forecast(zone, fromMs, toMs) {
      const source = sources.get(zone);
      if (!source) return undefined;
      const issued = await source.forecast?.(zone, fromMs, toMs);
      const stepMs = issued?.stepMs ?? HALF_HOUR_MS;
      const from = Math.floor(fromMs / stepMs) * stepMs;
      const slots = Math.max(1, Math.ceil((toMs - from) / stepMs));
      if (issued && issued.startMs <= from && issued.values.length - slotAt(issued, from) >= slots)
        return issued;
      const historySlots = options.historySlots ?? (WEEK_MS / stepMs) * 4;
      const history = await source.history(zone, from - historySlots * stepMs, from);
      const predicted = options.forecaster.forecast(history, history.values.length, slots);
      // Keep what the provider forecast, continue with the forecaster where it stops.
      if (issued) {
        for (let i = 0; i < slots; i++) {
          const at = slotAt(issued, from + i * stepMs);
          if (at >= 0 && at < issued.values.length) predicted[i] = issued.values[at] as number;
        }
      }
      const how = issued
        ? `${source.name} forecast, then ${options.forecaster.name}`
        : `${options.forecaster.name} over ${source.name} history`;
      return { zone, source: how, startMs: from, stepMs, values: predicted };
    },
  };
}
