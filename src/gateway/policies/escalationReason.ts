import { isRecord } from '../meters.js';
import type { EscalationRule } from './routePolicies.js';

export interface EscalationCheck {
  /** The rules to apply, in this order; the first that fires is the reason. */
  escalateOn: readonly EscalationRule[];
  /** Shortest adequate answer (characters, trimmed), for `too_short`. */
  minChars?: number | undefined;
  /** Set when the answer must be JSON (`invalid_json`): an object with these keys when any are listed. */
  json?: { required: readonly string[] } | undefined;
}

/** Openings of a model declining; matched at the start of the answer, apostrophes straight or curly. */
const REFUSAL =
  /^(?:I['’]m sorry|I am sorry|I apologi[sz]e|I cannot|I can['’]t|I can not|I['’]m (?:not able|unable)|I am (?:not able|unable)|As an AI)\b/i;

/**
 * Why an OpenAI chat completion is not good enough, or undefined when it is: a refusal (`message.refusal`
 * or a refusal phrase), content that is not the JSON asked for, `finish_reason: 'length'`, or content
 * shorter than `minChars`. Every choice is checked. A choice that calls tools is judged on
 * `refusal` and `length` only; an answer that is not a chat completion cannot be judged and passes.
 */
export function escalationReason(answer: unknown, check: EscalationCheck): EscalationRule | undefined {
  if (!isRecord(answer) || !Array.isArray(answer.choices) || answer.choices.length === 0) return undefined;
  const choices = answer.choices.filter(isRecord);
  for (const rule of check.escalateOn) {
    if (choices.some((choice) => fires(rule, choice, check))) return rule;
  }
  return undefined;
}

function fires(rule: EscalationRule, choice: Record<string, unknown>, check: EscalationCheck): boolean {
  const message = isRecord(choice.message) ? choice.message : {};
  const content = textOf(message.content);
  const callsTools = Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
  switch (rule) {
    case 'refusal':
      return (
        (typeof message.refusal === 'string' && message.refusal.trim() !== '') ||
        REFUSAL.test(content.trimStart())
      );
    case 'length':
      return choice.finish_reason === 'length';
    case 'invalid_json':
      return check.json !== undefined && !callsTools && !isJsonAnswer(content, check.json.required);
    case 'too_short':
      return check.minChars !== undefined && !callsTools && content.trim().length < check.minChars;
  }
}

/** Content as text: a string, or the text parts of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

function isJsonAnswer(content: string, required: readonly string[]): boolean {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return false;
  }
  if (required.length === 0) return true;
  return isRecord(value) && required.every((key) => Object.hasOwn(value, key));
}
