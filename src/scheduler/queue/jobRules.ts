import { createHash } from 'node:crypto';
import { GreenprintError } from '../../core/index.js';
import type { EnqueueInput, JobQueueOptions } from './jobQueue.js';

/** The job id for an idempotency key: `job_` and 32 hex digits of its SHA-256 (no `:`, which BullMQ ids refuse). */
export function jobIdFor(idempotencyKey: string): string {
  return `job_${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 32)}`;
}

export const DEFAULT_QUEUE_NAME = 'default';

/** The options every implementation resolves the same way. */
export interface QueueRules {
  name: string;
  now: () => number;
  leaseMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  onError: (error: Error) => void;
}

export function queueRules(options: JobQueueOptions): QueueRules {
  const rules: QueueRules = {
    name: options.name ?? DEFAULT_QUEUE_NAME,
    now: options.now ?? Date.now,
    leaseMs: options.leaseMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 5,
    backoffBaseMs: options.backoff?.baseMs ?? 1000,
    backoffMaxMs: options.backoff?.maxMs ?? 300_000,
    onError: options.onError ?? ((error) => console.error(error)),
  };
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(rules.name)) {
    throw invalid(`queue name "${rules.name}" must be 1–100 letters, digits, "_", "." or "-".`, 'name');
  }
  if (!Number.isFinite(rules.leaseMs) || rules.leaseMs < 50) {
    throw invalid(`leaseMs ${rules.leaseMs} must be at least 50 ms.`, 'leaseMs');
  }
  if (!Number.isInteger(rules.maxAttempts) || rules.maxAttempts < 1) {
    throw invalid(`maxAttempts ${rules.maxAttempts} must be a whole number ≥ 1.`, 'maxAttempts');
  }
  if (!(rules.backoffBaseMs >= 0) || !(rules.backoffMaxMs >= rules.backoffBaseMs)) {
    throw invalid('backoff needs 0 ≤ baseMs ≤ maxMs.', 'backoff');
  }
  return rules;
}

/** Wall-clock ms to wait before the retry that follows failed start number `attempts` (1-based). */
export function backoffMs(rules: QueueRules, attempts: number): number {
  return Math.min(rules.backoffBaseMs * 2 ** Math.max(0, attempts - 1), rules.backoffMaxMs);
}

export function checkEnqueueInput<P>(input: EnqueueInput<P>): void {
  if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0) {
    throw invalid(
      'enqueue needs a non-empty idempotencyKey naming the effect the job produces.',
      'idempotencyKey',
    );
  }
  if (!Number.isFinite(input.runAtMs)) {
    throw invalid(`runAtMs ${input.runAtMs} must be epoch milliseconds.`, 'runAtMs');
  }
  if (input.payload === undefined) {
    throw invalid('enqueue needs a payload that JSON can carry (null is fine).', 'payload');
  }
}

/** The message a handler's failure is recorded with. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Serialises a handler's result; undefined is stored as absent. A result JSON cannot carry (a BigInt, a
 * cycle) throws, which fails the attempt like a handler error rather than leaving the job unrecorded.
 */
export function resultJson(result: unknown): string | null {
  if (result === undefined) return null;
  try {
    return JSON.stringify(result) ?? null;
  } catch (error) {
    throw new Error(`the handler's result cannot be stored as JSON (${errorMessage(error)})`);
  }
}

export const DEFAULT_POLL_MS = 1000;

export function workSettings(options: { concurrency?: number; pollMs?: number } = {}) {
  const concurrency = options.concurrency ?? 1;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw invalid(`concurrency ${concurrency} must be a whole number ≥ 1.`, 'concurrency');
  }
  if (!Number.isFinite(pollMs) || pollMs < 1) throw invalid(`pollMs ${pollMs} must be ≥ 1 ms.`, 'pollMs');
  return { concurrency, pollMs };
}

function invalid(message: string, option: string): GreenprintError {
  return new GreenprintError('invalid_input', `Job queue: ${message}`, { option });
}
