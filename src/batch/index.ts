export {
  type BatchCall,
  type BatchCallAnswer,
  type BatchJobPayload,
  BatchService,
  type BatchServiceOptions,
} from './batchService.js';
export { gatewaySend } from './gatewaySend.js';
export { BATCH_ENDPOINTS } from './parseBatchInput.js';
export { batchRoutes, MAX_FILE_BYTES } from './routes.js';
export { type BatchApi, startBatchApi } from './startBatchApi.js';
export { BatchStore } from './store.js';
export type { Batch, BatchFile, BatchPlan, BatchRealised } from './types.js';
