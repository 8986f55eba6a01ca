import { GreenprintError } from '../../core/index.js';
import type { Series } from '../series.js';

/**
 * A provider of grid carbon intensity for zones: what happened (`history`) and, where the provider
 * publishes one, what it expects (`forecast`). Both return a dense slot series (gCO2e/kWh) covering
 * [fromMs, toMs) on the source's slot grid, with warnings for anything filled in or cut short.
 */
export interface CarbonIntensitySource {
  readonly name: string;
  history(zone: string, fromMs: number, toMs: number): Promise<SignalSeries>;
  /** Undefined when the source has no forecast for the zone and time. */
  forecast?(zone: string, fromMs: number, toMs: number): Promise<SignalSeries | undefined>;
}

/** A series from a provider, with what it had to guess. */
export interface SignalSeries extends Series {
  warnings: SignalWarning[];
}

export const SIGNAL_WARNING_CODES = {
  'gap-filled': 'Some slots had no data; the previous value was held.',
  'actual-missing': 'Some slots have no measured value yet; the provider’s forecast for them was used.',
  estimated: 'The provider estimated some values rather than measuring them.',
  'forecast-short': 'The forecast ends before the requested time.',
} as const;

export type SignalWarningCode = keyof typeof SIGNAL_WARNING_CODES;

export interface SignalWarning {
  code: SignalWarningCode;
  message: string;
}

export function signalWarning(code: SignalWarningCode, detail: string): SignalWarning {
  return { code, message: `${SIGNAL_WARNING_CODES[code]} ${detail}` };
}

/**
 * A provider call that failed: HTTP status, whether a retry may help, and the headers that say when
 * (Retry-After). Missing credentials and unknown zones are `invalid_input`; upstream failures and
 * unreadable answers are `signal_unavailable` (502) with `status` 0 when no response came.
 */
export class SignalSourceError extends GreenprintError {
  readonly provider: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly headers: Record<string, string>;

  constructor(
    provider: string,
    message: string,
    init: {
      code?: 'invalid_input' | 'unknown_region' | 'signal_unavailable';
      status?: number;
      retryable?: boolean;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    const status = init.status ?? 0;
    super(
      init.code ?? 'signal_unavailable',
      message,
      { provider, status, retryable: init.retryable ?? false },
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'SignalSourceError';
    this.provider = provider;
    this.status = status;
    this.retryable = init.retryable ?? false;
    this.headers = init.headers ?? {};
  }
}
