export { type AnomalyProfileOptions, anomalyProfile } from './anomalyProfile.js';
export type { Forecaster } from './forecaster.js';
export {
  DEFAULT_FORECASTER,
  FORECASTER_NAMES,
  type ForecasterName,
  forecasterNamed,
} from './forecasterNamed.js';
export { type NoisyOracleOptions, noisyOracle, noisySeriesValues } from './noisyOracle.js';
export { persistence } from './persistence.js';
export { sameHourYesterday } from './sameHourYesterday.js';
export { type SeasonalProfileOptions, seasonalProfile } from './seasonalProfile.js';
