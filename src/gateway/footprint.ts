import type { Estimator, Impact, UsageEvent } from '../core/index.js';
import { GreenprintError } from '../core/index.js';
import type { Units } from './meters.js';
import type { GatewayCall } from './policy.js';

/** A call's usage event and, when the estimator could price it, its impact. */
export interface Footprint {
  event: UsageEvent & { id: string };
  impact: Impact | undefined;
  /** Why `impact` is missing: the estimator's code and message. */
  warning: string | undefined;
}

export const HEADER = {
  eventId: 'x-greenprint-event-id',
  energyWh: 'x-greenprint-energy-wh',
  co2eG: 'x-greenprint-co2e-g',
  co2eGRange: 'x-greenprint-co2e-g-range',
  warning: 'x-greenprint-warning',
  upstreamStatus: 'x-greenprint-upstream-status',
} as const;

/** `x-greenprint-warning` of a call whose usage the upstream did not report: nothing is recorded. */
export const UNMETERED = 'unmetered';

/**
 * The usage event of a call: provider, region and deployment from the upstream, `requestModel` the
 * model sent upstream (after aliases: a gateway alias means nothing to the catalog; the client's name
 * is kept in `tags.alias`), project from the key, pipeline/stage/run from the request headers.
 */
export function usageEventOf(
  call: GatewayCall,
  units: Units,
  id: string,
  endedAt: number,
): Footprint['event'] {
  const { upstream, attribution } = call;
  // Built field by field rather than spread: this runs for every metered call.
  const event: Footprint['event'] = {
    id,
    operation: call.operation,
    provider: upstream.provider,
    requestModel: call.model,
  };
  if (upstream.region) event.region = upstream.region;
  event.deployment = upstream.deployment;
  Object.assign(event, units);
  event.startTime = new Date(call.startedAt).toISOString();
  event.durationMs = Math.max(0, endedAt - call.startedAt);
  event.project = call.identity.project;
  if (attribution.pipeline !== undefined) event.pipeline = attribution.pipeline;
  if (attribution.stage !== undefined) event.stage = attribution.stage;
  if (attribution.run !== undefined) event.run = attribution.run;
  event.tags =
    call.requestedModel !== call.model
      ? { upstream: upstream.name, alias: call.requestedModel }
      : { upstream: upstream.name };
  return event;
}

/**
 * Estimates an event. A failure (a model the catalog does not know …) never stops the response: it
 * becomes a warning, and the event is still recorded so that the ledger rejects and reports it.
 */
export function estimateFootprint(estimator: Estimator, event: Footprint['event']): Footprint {
  try {
    return { event, impact: estimator.estimate(event), warning: undefined };
  } catch (error) {
    const code = error instanceof GreenprintError ? error.code : 'internal_error';
    return { event, impact: undefined, warning: headerSafe(`${code}: ${(error as Error).message}`) };
  }
}

/** Footprint response headers: mid energy (Wh) and carbon (gCO2e, location-based) and the carbon range. */
export function footprintHeaders(footprint: Footprint): Record<string, string> {
  const headers: Record<string, string> = { [HEADER.eventId]: footprint.event.id };
  const { impact, warning } = footprint;
  if (impact) {
    const carbon = impact.carbonGCO2e.location;
    headers[HEADER.energyWh] = plain(impact.energyWh.mid);
    headers[HEADER.co2eG] = plain(carbon.mid);
    headers[HEADER.co2eGRange] = `${plain(carbon.low)}-${plain(carbon.high)}`;
  }
  if (warning) headers[HEADER.warning] = warning;
  return headers;
}

/** The SSE comment that closes a stream with its footprint (clients ignore comment lines). */
export function footprintComment(footprint: Footprint | { eventId: string; warning: string }): string {
  const body =
    'event' in footprint
      ? {
          eventId: footprint.event.id,
          ...(footprint.impact
            ? {
                energyWh: footprint.impact.energyWh,
                co2eG: footprint.impact.carbonGCO2e.location,
              }
            : {}),
          ...(footprint.warning ? { warning: footprint.warning } : {}),
        }
      : footprint;
  return `: greenprint ${JSON.stringify(body)}\n\n`;
}

/**
 * A number in positional notation that reads back to the same double: `String()` unless that would
 * use an exponent, whose '-' would make `low-high` ambiguous.
 */
function plain(x: number): string {
  const s = String(x);
  if (!s.includes('e')) return s;
  const digits = Math.min(100, Math.max(0, 17 - Math.floor(Math.log10(Math.abs(x)))));
  return x
    .toFixed(digits)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** Header values must be printable ASCII; messages are cut to a readable length. */
/** Text fit for a header value: printable ASCII, at most `max` characters. */
export function headerSafe(text: string, max = 300): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
