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
