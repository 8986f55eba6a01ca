export {
  countInputTokens,
  type InputTokenCount,
  type TokenCountWarning,
  type TokenCountWarningCode,
} from './countInputTokens.js';
export { LIMIT_ERROR_CODES, LIMIT_HEADER, type LimitErrorCode } from './limitError.js';
export { type LimitRule, limitsPolicy } from './limitsPolicy.js';
export { type TokenizerName, tokenizerFor } from './tokenizerFor.js';
