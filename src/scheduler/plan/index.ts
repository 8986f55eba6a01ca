export type { Job, JobPlan, JobRun, PlanJobOptions } from './job.js';
export { planJob } from './planJob.js';
export { bestContiguousStart, lowestSlots, sumAt } from './window.js';
