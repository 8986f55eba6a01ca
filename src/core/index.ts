export {
  closeMatches,
  findModel,
  fromEcologits,
  indexModels,
  type ModelIndex,
  paramsRange,
  requireModel,
} from './catalog.js';
export { diffusionGpuEnergyJ, diffusionSizeIndex, diffusionStepEnergyJ } from './diffusion.js';
export { type EcologitsResult, ecologitsLlmImpacts } from './ecologits.js';
export {
  ERROR_CODES,
  type ErrorCode,
  GreenprintError,
  HTTP_STATUS_BY_CODE,
  INPUT_ERROR_CODES,
} from './errors.js';
export {
  type Assumptions,
  createEstimator,
  type EstimateOptions,
  type Estimator,
  type ExplainStep,
  type Impact,
  METHODOLOGY_VERSION,
} from './estimate.js';
export {
  BOUNDARIES,
  type Boundary,
  DEPLOYMENTS,
  type Deployment,
  OPERATIONS,
  type Operation,
  type ParsedUsageEvent,
  PRECISIONS,
  type Precision,
  type UsageEvent,
  usageEventSchema,
} from './event.js';
export { gridIntensityGPerKwh, hourlyIntensity, WORLD_ZONE, zoneForRegion } from './grid.js';
export {
  BYTES_PER_PARAM,
  computeFactor,
  gpuCountForModel,
  resolveGpu,
  textFitFor,
  weightsGB,
} from './hardware.js';
export { parseUsageEvent } from './parse.js';
export { addRange, type Range, sig } from './range.js';
export * from './reference.js';
export { type GhgAttribution, ghgScopes, type ScopeRef } from './scope.js';
export {
  decodeEnergyJPerToken,
  prefillEnergyJPerToken,
  type TextEnergy,
  textGpuEnergy,
  trainingGpuWh,
} from './text.js';
export { WARNING_CODES, type Warning, type WarningCode, warning } from './warnings.js';
