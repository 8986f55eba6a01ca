export type { Job, JobPlan, JobRun, PlanJobOptions } from './job.js';
export { planJob } from './planJob.js';
export {
  type CapacityFor,
  type JobsPlan,
  type PlanJobsOptions,
  planJobs,
  type UnplacedJob,
} from './planJobs.js';
export { bestContiguousStart, lowestSlots } from './window.js';
