import type { Protocol } from '../gatewayError.js';

/**
 * Codes of the limit policy's own 400 answers. They are not GatewayError codes (that table is closed to
 * this module), so the policy answers with a Response in the caller's protocol instead of throwing.
 */
export const LIMIT_ERROR_CODES = ['input_too_long', 'output_too_long', 'context_too_long'] as const;
export type LimitErrorCode = (typeof LIMIT_ERROR_CODES)[number];

/** Response header saying what a limit did: `output capped to N`, or `rejected: <code>`. */
export const LIMIT_HEADER = 'x-greenprint-limit';

/**
 * A 400 in OpenAI's error shape (`{error: {message, type, code, param}}`) or Anthropic's
 * (`{type: 'error', error: {type, message, code}}`) for `/v1/messages`, as GatewayError renders them.
 */
export function limitErrorResponse(code: LimitErrorCode, message: string, protocol: Protocol): Response {
  const body =
    protocol === 'anthropic'
      ? { type: 'error', error: { type: 'invalid_request_error', message, code } }
      : { error: { message, type: 'invalid_request_error', code, param: null } };
  return new Response(JSON.stringify(body), {
    status: 400,
    headers: { 'content-type': 'application/json', [LIMIT_HEADER]: `rejected: ${code}` },
  });
}
