export { type ElectricityMapsOptions, electricityMapsSource } from './electricityMapsSource.js';
export {
  type IssuedForecast,
  LBS_PER_MWH_TO_G_PER_KWH,
  latestIssued,
  parseIssuedForecasts,
} from './issuedForecasts.js';
export {
  type CarbonIntensitySource,
  SIGNAL_WARNING_CODES,
  type SignalSeries,
  SignalSourceError,
  type SignalWarning,
  type SignalWarningCode,
} from './source.js';
export { type TraceFile, type TraceFileSourceOptions, traceFileSource } from './traceFileSource.js';
export { type UkCarbonIntensityOptions, ukCarbonIntensitySource } from './ukCarbonIntensitySource.js';
export { type WattTimeOptions, wattTimeSource } from './wattTimeSource.js';
