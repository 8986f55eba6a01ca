import { errorResponse, GatewayError, type GatewayErrorCode, type Protocol } from '../gatewayError.js';

/**
 * Codes of the limit policy's own 400 answers (GatewayError codes). The policy answers with a Response
 * rather than throwing, so that the answer carries `x-greenprint-limit`.
 */
export const LIMIT_ERROR_CODES = [
  'input_too_long',
  'output_too_long',
  'context_too_long',
] as const satisfies readonly GatewayErrorCode[];
export type LimitErrorCode = (typeof LIMIT_ERROR_CODES)[number];

/** Response header saying what a limit did: `output capped to N`, or `rejected: <code>`. */
export const LIMIT_HEADER = 'x-greenprint-limit';

/**
 * A 400 in OpenAI's error shape (`{error: {message, type, code, param}}`) or Anthropic's
 * (`{type: 'error', error: {type, message, code}}`) for `/v1/messages`, as GatewayError renders them.
 */
export function limitErrorResponse(code: LimitErrorCode, message: string, protocol: Protocol): Response {
  return errorResponse(new GatewayError(code, message), protocol, { [LIMIT_HEADER]: `rejected: ${code}` });
}
