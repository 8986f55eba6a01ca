export { DEFAULT_DATA_DIR, type LoadOptions, loadFittingInputs, loadReferenceData } from './load.js';
export { parseTrace, readTrace, utcMs } from './traces.js';
