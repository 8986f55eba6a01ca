import { anomalyProfile } from './anomalyProfile.js';
import type { Forecaster } from './forecaster.js';
import { persistence } from './persistence.js';
import { sameHourYesterday } from './sameHourYesterday.js';
import { seasonalProfile } from './seasonalProfile.js';

/** The forecasters configuration and the CLI can name, default first. */
export const FORECASTER_NAMES = [
  'anomaly-profile',
  'seasonal',
  'persistence',
  'same-hour-yesterday',
] as const;
export type ForecasterName = (typeof FORECASTER_NAMES)[number];
export const DEFAULT_FORECASTER: ForecasterName = 'anomaly-profile';

const MAKERS: Record<ForecasterName, () => Forecaster> = {
  'anomaly-profile': () => anomalyProfile(),
  seasonal: () => seasonalProfile(),
  persistence: () => persistence(),
  'same-hour-yesterday': () => sameHourYesterday(),
};

/** A forecaster with its default options, by the name `scheduler.forecaster` and `--forecaster` use. */
export function forecasterNamed(name: ForecasterName): Forecaster {
  return MAKERS[name]();
}
