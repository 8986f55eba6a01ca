import { GreenprintError } from '../core/index.js';
import type { GatewayConfig } from '../gateway/index.js';
import { forecasterNamed } from './forecast/index.js';
import { type PlanningSignals, sourceSignals } from './planningSignals.js';
import { sampleSignals, schedulingColumn } from './sampleSignals.js';
import {
  type CarbonIntensitySource,
  electricityMapsSource,
  traceFileSource,
  ukCarbonIntensitySource,
  wattTimeSource,
} from './signals/index.js';

type SchedulerConfig = GatewayConfig['scheduler'];

/**
 * The planning signals `scheduler.signals` names, one provider per zone, read at start-up (keys from
 * the environment); without any, the shipped sample traces replayed onto today.
 */
export function configuredSignals(
  config: SchedulerConfig,
  env: Record<string, string | undefined> = process.env,
): PlanningSignals {
  const forecaster = forecasterNamed(config.forecaster);
  if (config.signals.length === 0) return sampleSignals(forecaster);
  const sources = new Map<string, CarbonIntensitySource>();
  for (const signal of config.signals) {
    const zone = signal.zone.toUpperCase();
    if (sources.has(zone)) {
      throw new GreenprintError('invalid_input', `scheduler.signals names zone ${zone} twice; keep one.`);
    }
    switch (signal.provider) {
      case 'uk-carbon-intensity':
        if (zone !== 'GB') {
          throw new GreenprintError(
            'invalid_input',
            `The UK Carbon Intensity API covers zone GB only, not ${zone}.`,
          );
        }
        sources.set(zone, ukCarbonIntensitySource());
        break;
      case 'electricitymaps':
        sources.set(zone, electricityMapsSource({ env }));
        break;
      case 'watttime':
        sources.set(zone, underZone(wattTimeSource({ env }), signal.region as string));
        break;
      case 'trace':
        sources.set(
          zone,
          traceFileSource({
            traces: [{ zone, path: signal.path as string, ...schedulingColumn(signal.path as string) }],
          }),
        );
        break;
    }
  }
  return sourceSignals(sources, { forecaster });
}

/** A source asked for our zone name answers for the provider's own region code (WattTime's CAISO_NORTH). */
function underZone(source: CarbonIntensitySource, region: string): CarbonIntensitySource {
  const forecast = source.forecast;
  return {
    name: `${source.name} (${region})`,
    history: (_zone, fromMs, toMs) => source.history(region, fromMs, toMs),
    ...(forecast
      ? {
          forecast: (_zone: string, fromMs: number, toMs: number) =>
            forecast.call(source, region, fromMs, toMs),
        }
      : {}),
  };
}
