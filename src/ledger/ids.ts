import { randomBytes } from 'node:crypto';

/**
 * A time-ordered event id (`<prefix>_<ms base36><random>`): unique across processes and sortable
 * by time, so ledger inserts append to the primary-key index instead of landing at random.
 */
export function newEventId(now: number, prefix = 'gp'): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}
