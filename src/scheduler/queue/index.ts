export { BullJobQueue, type BullJobQueueOptions } from './bullJobQueue.js';
export type {
  EnqueueInput,
  JobHandler,
  JobQueue,
  JobQueueOptions,
  JobState,
  QueuedJob,
  RunningWorker,
  WorkOptions,
} from './jobQueue.js';
export { jobIdFor } from './jobRules.js';
export { type OpenJobQueueOptions, openJobQueue, QUEUE_URL_ENV, resolveQueueUrl } from './openJobQueue.js';
export { DEFAULT_QUEUE_DB, SqliteJobQueue, type SqliteJobQueueOptions } from './sqliteJobQueue.js';
