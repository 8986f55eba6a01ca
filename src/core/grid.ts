import { GreenprintError } from './errors.js';
import type { CloudRegion, GridFactor, HourlyTrace } from './reference.js';

export const WORLD_ZONE = 'WORLD';

export interface GridLookup {
  zone: string;
  factor: GridFactor;
  /** Set when an hourly trace supplied the value. */
  hourly?: { startMs: number; source: string };
}

/** Normalises a region: cloud region id → its grid zone; otherwise the upper-cased zone code. */
export function zoneForRegion(region: string, cloudRegions: Map<string, CloudRegion>): string {
  const cloud = cloudRegions.get(region.toLowerCase());
  return cloud ? cloud.zone.toUpperCase() : region.toUpperCase();
}

/**
 * Annual-average grid intensity for a zone, gCO2e/kWh. Unknown zones throw `unknown_region` with the
 * zones that start alike, never a silent fallback.
 */
export function gridIntensityGPerKwh(grid: Map<string, GridFactor>, zone: string): GridLookup {
  const exact = grid.get(zone);
  if (exact) return { zone, factor: exact };
  const candidates = [...grid.keys()].filter((k) => k.startsWith(zone.slice(0, 2))).slice(0, 8);
  throw new GreenprintError(
    'unknown_region',
    `Unknown region "${zone}". Use an Electricity Maps zone (DE, US-CAL-CISO), an ISO 3166 country code (DEU), ` +
      `or a cloud region (us-east-1).${candidates.length ? ` Zones starting alike: ${candidates.join(', ')}.` : ''}`,
    { region: zone, suggestions: candidates },
  );
}

/** The trace value for the hour containing `timeMs`, or undefined when outside the trace. */
export function hourlyIntensity(
  trace: HourlyTrace,
  timeMs: number,
): { startMs: number; gPerKwh: number } | undefined {
  const pts = trace.points;
  if (pts.length === 0) return undefined;
  const first = pts[0] as { startMs: number };
  const last = pts[pts.length - 1] as { startMs: number };
  const step = pts.length > 1 ? (pts[1] as { startMs: number }).startMs - first.startMs : 3_600_000;
  if (timeMs < first.startMs || timeMs >= last.startMs + step) return undefined;
  let lo = 0;
  let hi = pts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pts[mid] as { startMs: number }).startMs <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return pts[lo];
}
