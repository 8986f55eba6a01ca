import { GreenprintError } from './errors.js';
import { type ParsedUsageEvent, usageEventSchema } from './event.js';

/** Validates untrusted input into a usage event; the error lists every problem with its field path. */
export function parseUsageEvent(input: unknown): ParsedUsageEvent {
  const result = usageEventSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
  throw new GreenprintError('invalid_input', `Invalid usage event. ${problems.join('; ')}.`, { problems });
}
