import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';
import type { Job } from './job.js';

/**
 * A job's place on one zone's slot grid. Runs start on slot boundaries: the window is rounded
 * inward (the first slot starts at or after the earliest start; everything ends by the deadline).
 */
export interface JobWindow {
  /** First usable slot. */
  from: number;
  /** One past the last usable slot (a contiguous run's partly used last slot may end after the deadline's slot boundary, never after the deadline). */
  to: number;
  /** Slots the job occupies. */
  k: number;
  /** Fraction of its last slot the job uses, in (0, 1]. */
  rho: number;
}

/** Throws `invalid_input` unless the job is well formed and its time window can hold it. */
export function validateJob(job: Job, nowMs: number | undefined): void {
  const where = `Job ${JSON.stringify(job.id)}`;
  const bad = (message: string, details: Record<string, unknown> = {}) =>
    new GreenprintError('invalid_input', `${where}: ${message}`, { jobId: job.id, ...details });
  if (typeof job.id !== 'string' || job.id.length === 0) {
    throw new GreenprintError('invalid_input', 'Every job needs a non-empty string id.', { job });
  }
  if (!Number.isFinite(job.energyKwh) || job.energyKwh < 0) {
    throw bad(`energyKwh must be a finite number ≥ 0, got ${job.energyKwh}.`);
  }
  if (!Number.isFinite(job.durationMs) || job.durationMs <= 0) {
    throw bad(`durationMs must be a finite number > 0, got ${job.durationMs}.`);
  }
  if (!Number.isFinite(job.earliestStartMs) || !Number.isFinite(job.deadlineMs)) {
    throw bad('earliestStartMs and deadlineMs must be epoch milliseconds.');
  }
  if (!Array.isArray(job.regions) || job.regions.length === 0) {
    throw bad('regions must list at least one zone (the home zone first).');
  }
  if (nowMs !== undefined && !Number.isFinite(nowMs)) {
    throw new GreenprintError('invalid_input', `nowMs must be epoch milliseconds, got ${nowMs}.`);
  }
  const startMs = Math.max(job.earliestStartMs, nowMs ?? Number.NEGATIVE_INFINITY);
  if (job.deadlineMs - startMs < job.durationMs) {
    throw bad(
      `the deadline leaves too little time: it needs ${duration(job.durationMs)} but ${iso(startMs)} → ${iso(job.deadlineMs)} leaves ${duration(Math.max(0, job.deadlineMs - startMs))}${startMs > job.earliestStartMs ? ' (counting from now)' : ''}. Move the deadline or shorten the job.`,
      { needMs: job.durationMs, haveMs: job.deadlineMs - startMs },
    );
  }
}

/**
 * The job's window on `series` (the zone's signal or actuals). Throws `invalid_input` when the slot
 * grid leaves too few whole slots or when the series does not cover the window.
 */
export function jobWindow(job: Job, series: Series, nowMs: number | undefined, what: string): JobWindow {
  const { startMs: origin, stepMs } = series;
  const startMs = Math.max(job.earliestStartMs, nowMs ?? Number.NEGATIVE_INFINITY);
  const k = Math.ceil(job.durationMs / stepMs);
  const rho = (job.durationMs - (k - 1) * stepMs) / stepMs;
  const from = Math.ceil((startMs - origin) / stepMs);
  const to = job.interruptible
    ? Math.floor((job.deadlineMs - origin) / stepMs)
    : Math.floor((job.deadlineMs - job.durationMs - origin) / stepMs) + k;
  if (to - from < k) {
    throw new GreenprintError(
      'invalid_input',
      `Job ${JSON.stringify(job.id)}: on ${series.zone}'s ${duration(stepMs)} slot grid, ${iso(startMs)} → ${iso(job.deadlineMs)} holds fewer than the ${k} slots the job needs (runs start on slot boundaries). Widen the window.`,
      { jobId: job.id, zone: series.zone, slotsNeeded: k },
    );
  }
  if (from < 0 || to > series.values.length) {
    const coverTo = origin + series.values.length * stepMs;
    throw new GreenprintError(
      'invalid_input',
      `Job ${JSON.stringify(job.id)}: the ${what} for zone ${series.zone} covers ${iso(origin)} → ${iso(coverTo)} but the job's window needs ${iso(origin + from * stepMs)} → ${iso(origin + to * stepMs)}. Extend the ${what} or move the job's window.`,
      {
        jobId: job.id,
        zone: series.zone,
        coverFromMs: origin,
        coverToMs: coverTo,
        needFromMs: origin + from * stepMs,
        needToMs: origin + to * stepMs,
      },
    );
  }
  return { from, to, k, rho };
}

/** Throws `unknown_region` for a job zone the signals do not have. */
export function unknownRegion(
  job: Job,
  zone: string,
  known: readonly string[],
  what: string,
): GreenprintError {
  return new GreenprintError(
    'unknown_region',
    `Job ${JSON.stringify(job.id)}: no ${what} for zone ${JSON.stringify(zone)} (have: ${known.join(', ') || 'none'}). Add a signal for it or drop it from the job's regions.`,
    { jobId: job.id, zone, known },
  );
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(':00.000Z', 'Z') : String(ms);
}

function duration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return `${+minutes.toFixed(2)} min`;
  return `${+(minutes / 60).toFixed(2)} h`;
}
