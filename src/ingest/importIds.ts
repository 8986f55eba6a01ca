import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';
import { OccurrenceCounter } from './occurrenceCounter.js';

/**
 * Deterministic ids for rows that carry none, so importing the same file twice never counts twice:
 * `imp_<first 32 hex of sha256(canonical JSON of the event)>_<n>`, where n numbers the identical events
 * of this file from 0, so two identical rows (two real calls) stay two events. One instance per file.
 */
export class ImportIds {
  readonly #seen = new OccurrenceCounter();

  /** The id for an event without one; `event` is the validated event, defaults applied, id absent. */
  next(event: object): string {
    const digest = createHash('sha256').update(canonicalJson(event)).digest();
    // Counting on 64 of the 128 id bits: a collision could only skip an index, never repeat an id.
    const n = this.#seen.next(digest.readUInt32BE(0), digest.readUInt32BE(4));
    return `imp_${digest.toString('hex', 0, 16)}_${n}`;
  }
}
