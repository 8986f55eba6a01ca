/**
 * The closed set of error codes Greenprint raises. Each maps to one HTTP status in
 * `HTTP_STATUS_BY_CODE` and to one CLI exit code; messages say what was wrong and what to do.
 */
export const ERROR_CODES = [
  'invalid_input',
  'unknown_model',
  'unknown_region',
  'unsupported_operation',
  'invalid_reference_data',
  'invalid_trace',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'invalid_state',
  'ledger_unavailable',
  'queue_unavailable',
  'signal_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_model: 404,
  unknown_region: 400,
  unsupported_operation: 400,
  invalid_reference_data: 500,
  invalid_trace: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  invalid_state: 409,
  ledger_unavailable: 503,
  queue_unavailable: 503,
  signal_unavailable: 502,
  internal_error: 500,
};

/** Codes that mean the caller's input was wrong (CLI exit code 2); the others are failures (exit 1). */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_input',
  'unknown_model',
  'unknown_region',
  'unsupported_operation',
  'invalid_trace',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
]);

export class GreenprintError extends Error {
  readonly code: ErrorCode;
  /** Structured detail for callers, for example the close matches of an unknown model. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GreenprintError';
    this.code = code;
    this.details = details;
  }
}
