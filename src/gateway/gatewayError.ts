import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The closed set of codes the gateway itself answers with, its policies' refusals included (upstream
 * errors pass through unchanged). Codes are part of the public contract: add new ones, never rename.
 */
export const GATEWAY_ERROR_CODES = [
  'invalid_json',
  'missing_model',
  'missing_api_key',
  'invalid_api_key',
  'model_not_found',
  'body_too_large',
  'unsupported_media_type',
  'client_closed_request',
  'upstream_key_missing',
  'internal_error',
  'upstream_unavailable',
  'upstream_interrupted',
  'upstream_timeout',
  'input_too_long',
  'output_too_long',
  'context_too_long',
  'budget_exceeded',
  'budget_unavailable',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** One HTTP status per code. 499 is nginx's "client closed request": nobody is left to read it. */
export const GATEWAY_STATUS_BY_CODE: Record<GatewayErrorCode, number> = {
  invalid_json: 400,
  missing_model: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  model_not_found: 404,
  body_too_large: 413,
  unsupported_media_type: 415,
  client_closed_request: 499,
  upstream_key_missing: 500,
  internal_error: 500,
  upstream_unavailable: 502,
  upstream_interrupted: 502,
  upstream_timeout: 504,
  input_too_long: 400,
  output_too_long: 400,
  context_too_long: 400,
  budget_exceeded: 429,
  budget_unavailable: 503,
};

/** Which wire shape an error takes: OpenAI's `{error:{message,type,code,param}}` or Anthropic's. */
export type Protocol = 'openai' | 'anthropic';

/** A failure of the gateway itself, rendered in the caller's protocol with a stable `code`. */
export class GatewayError extends HTTPException {
  readonly code: GatewayErrorCode;
  /** The OpenAI `param` the error is about, when there is one. */
  readonly param: string | null;

  constructor(code: GatewayErrorCode, message: string, options: { param?: string; cause?: unknown } = {}) {
    super(GATEWAY_STATUS_BY_CODE[code] as ContentfulStatusCode, { message, cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.param = options.param ?? null;
  }

  override getResponse(): Response {
    return errorResponse(this, 'openai');
  }
}

const OPENAI_TYPE_BY_STATUS: Partial<Record<number, string>> = {
  401: 'authentication_error',
};
/** Codes whose OpenAI `type` is not the one of their status. */
const OPENAI_TYPE_BY_CODE: Partial<Record<GatewayErrorCode, string>> = {
  budget_exceeded: 'budget_exceeded',
};

const ANTHROPIC_TYPE_BY_STATUS: Partial<Record<number, string>> = {
  401: 'authentication_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

/** The error body in OpenAI's shape (`/v1/chat/completions` …) or Anthropic's (`/v1/messages`). */
export function errorBody(error: GatewayError, protocol: Protocol): Record<string, unknown> {
  const server = error.status >= 500;
  if (protocol === 'anthropic') {
    const type = ANTHROPIC_TYPE_BY_STATUS[error.status] ?? (server ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message: error.message, code: error.code } };
  }
  const type =
    OPENAI_TYPE_BY_CODE[error.code] ??
    OPENAI_TYPE_BY_STATUS[error.status] ??
    (server ? 'server_error' : 'invalid_request_error');
  return { error: { message: error.message, type, code: error.code, param: error.param } };
}

/** The error as a JSON response in the caller's protocol, with `headers` added (retry-after …). */
export function errorResponse(
  error: GatewayError,
  protocol: Protocol,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(errorBody(error, protocol)), {
    status: error.status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Any thrown value as a GatewayError; unexpected ones become `internal_error` with a generic message. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('internal_error', 'The gateway failed unexpectedly; see the gateway log.', {
    cause: error,
  });
}
