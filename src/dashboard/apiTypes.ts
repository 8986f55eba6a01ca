/**
 * The dashboard API's response shapes: what `/api/dashboard/*` returns and what the web app reads.
 * Kept free of imports beyond the pure range type, so the web build can type-check against it.
 */
import type { Range } from '../core/range.js';

export type { Range };

export const FILTER_DIMENSIONS = ['project', 'pipeline', 'stage', 'provider', 'model', 'region'] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

/** The filters of one dashboard request, after the caller's key has had its say. */
export interface DashboardFilters {
  /** Inclusive start and exclusive end as given (ISO-8601 date or date-time). */
  from?: string;
  to?: string;
  /** The same bounds in ms since the epoch, floored to the hour as the rollups are. */
  fromMs?: number;
  toMs?: number;
  where: Partial<Record<FilterDimension, string>>;
}

/** Every view echoes its filters (with a scoped key's project forced in) and names those it could not apply. */
export interface ViewBase {
  filters: DashboardFilters;
  notApplied: string[];
  /** Tables the view exports as CSV (`?format=csv&table=<name>`). */
  tables?: string[];
}

export interface Session {
  role: 'read' | 'admin';
  project: string | null;
  open: boolean;
}

export interface FilterOptions {
  dimensions: Record<FilterDimension, string[]>;
  period: { first: string | null; last: string | null };
}

export const BUCKETS = ['hour', 'day', 'month'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** The headline figures of a set of events, each with its low–mid–high range. */
export interface Figures {
  events: number;
  calls: number;
  energyKwh: Range;
  /** Location-based operational CO2e, kg. */
  carbonKg: Range;
  /** Market-based operational CO2e, kg (location-based where no supplier factor was given). */
  carbonMarketKg: Range;
  embodiedKg: Range;
  waterL: Range;
  costUsd: number;
  pricedEvents: number;
  marketFactorEvents: number;
}

export interface Overview extends ViewBase {
  bucket: Bucket;
  totals: Figures;
  /** One point per bucket that has events, in time order. */
  series: (Figures & { period: string })[];
  top: {
    models: (Figures & { model: string; provider: string })[];
    projects: (Figures & { project: string })[];
    stages: (Figures & { pipeline: string; stage: string })[];
  };
}

/** One stage of a pipeline's process map (the ledger's `ProcessStage`). */
export interface PipelineStage {
  stage: string;
  runs: number;
  events: number;
  calls: number;
  energyKwh: Range;
  carbonKg: Range;
  embodiedKg: number;
  energyWhPerRun: number;
  carbonGPerRun: number;
  /** Share of the pipeline's location-based carbon. */
  share: number;
}

/** One pipeline run: its totals and what each stage contributed. */
export interface PipelineRun {
  run: string;
  /** Earliest call of the run, ISO-8601. */
  startedAt: string;
  calls: number;
  energyWh: number;
  carbonG: number;
  /** Location-based operational CO2e (g) and energy (Wh) per stage, mid values. */
  stages: Record<string, { calls: number; energyWh: number; carbonG: number }>;
}

export interface PipelineView {
  project: string;
  pipeline: string;
  runs: number;
  stages: PipelineStage[];
  carbonGPerRun: number;
  /** Runs in time order; the period filter applies here (to each run's first call). */
  runList: PipelineRun[];
}

export interface Pipelines extends ViewBase {
  pipelines: PipelineView[];
}

export const LEVERS = ['cache', 'routing', 'cascade-discarded', 'limits', 'deferral'] as const;
export type Lever = (typeof LEVERS)[number];

/** Energy (Wh), location-based CO2e (g) and list-price cost (USD) of one side of a comparison. */
export interface Amounts {
  energyWh: number;
  carbonG: number;
  costUsd: number;
}

export interface LeverSaving {
  lever: Lever;
  label: string;
  /** `measured`: summed from the ledger; `not_recorded`: the lever acts but leaves nothing to sum. */
  status: 'measured' | 'not_recorded';
  /** Events (or batches, for deferral) behind the figures. */
  count: number;
  /** What the work would have used without the lever, what it used, and the difference. */
  counterfactual: Amounts;
  actual: Amounts;
  avoided: Amounts;
  /** How the counterfactual is obtained. */
  method: string;
  /** Methodology section the underlying figures come from (docs/methodology.md). */
  section: string;
  /** Events whose counterfactual could not be estimated (left out of the sums). */
  skipped: number;
}

export interface Savings extends ViewBase {
  levers: LeverSaving[];
  /** Deferral expected by plans that have not run yet (under the forecast), kept apart from realised. */
  expectedDeferral: { batches: number; carbonG: number };
  total: Amounts;
  /** Avoided CO2e (g) per day and lever. */
  series: { day: string; lever: Lever; carbonG: number }[];
}

/** A batch as the scheduler page draws it: when it was submitted, planned and run, and its carbon. */
export interface ScheduledBatch {
  id: string;
  project: string;
  status: string;
  pipeline: string | null;
  stage: string | null;
  zone: string;
  requests: number;
  /** ISO-8601 times. */
  createdAt: string;
  expiresAt: string;
  runNowAt: string | null;
  plannedStart: string | null;
  plannedEnd: string | null;
  startedAt: string | null;
  endedAt: string | null;
  energyWh: number | null;
  /** gCO2e under the forecast the plan used: planned slots, and had it started at submission. */
  expectedG: number | null;
  runNowG: number | null;
  /** gCO2e once run, actual intensities: as run, and had it started at submission. */
  realisedG: number | null;
  realisedRunNowG: number | null;
  /** (run-now − realised) / run-now once run, else the plan's expected saving; percent. */
  savingPct: number | null;
  /** The signal the plan believed. */
  signal: string | null;
}

/** Intensity of one zone on the scheduler's slot grid around the batches drawn on it. */
export interface IntensityCurve {
  zone: string;
  source: string;
  /** Slot start (epoch ms), gCO2e/kWh as it happened, and the forecast made at the batch's submission (null before it). */
  points: { t: number; actual: number; forecast: number | null }[];
}

export interface SchedulerOverview extends ViewBase {
  batches: ScheduledBatch[];
  /** The batch whose zone and time the curve covers (`?batch=`, else the latest planned one). */
  focus: string | null;
  curve: IntensityCurve | null;
}

export interface CatalogModel {
  id: string;
  provider: string;
  modality: string;
  architecture: string;
  openWeights: boolean;
  /** Billions of parameters, low–mid–high where the size is not published. */
  totalParamsB: Range;
  activeParamsB: Range;
  unit: string;
  /** Facility energy of one unit, Wh; null when the estimator could not estimate it (see `note`). */
  energyWh: Range | null;
  /** Location-based CO2e of one unit at the provider's default region, g. */
  carbonG: number | null;
  zone: string | null;
  /** List price of one unit, USD (managed APIs with a public price). */
  costUsd: number | null;
  /** The public price record: USD per million tokens, per image, per minute … */
  price: {
    inputPerMTok?: number | undefined;
    cachedInputPerMTok?: number | undefined;
    outputPerMTok?: number | undefined;
    perImage?: number | undefined;
    perMinuteAudio?: number | undefined;
    perMCharacters?: number | undefined;
    perVideoSecond?: number | undefined;
    source: string;
  } | null;
  sources: string[];
  warnings: string[];
  note: string | null;
}

export interface Models {
  models: CatalogModel[];
  modalities: string[];
  providers: string[];
  tables?: string[];
}

export interface MethodologySection {
  /** Anchor: `s-<number>` for numbered sections (`## 13c. …` → `s-13c`), else a slug of the title. */
  id: string;
  level: number;
  title: string;
}

export interface Methodology {
  version: string;
  /** Where the text was read from. */
  source: string;
  markdown: string;
  /** Headings of levels 2 and 3 in document order. */
  sections: MethodologySection[];
}

export interface EventRow {
  id: string;
  time: string;
  project: string;
  pipeline: string;
  stage: string;
  run: string;
  model: string;
  energyWh: Range;
  carbonG: number;
  waterMl: number;
  embodiedG: number;
  costUsd: number | null;
  methodologyVersion: string;
  /** The event's own tags (cache hits, cascades, caller labels). */
  tags: Record<string, string>;
}

export interface EventsPage extends ViewBase {
  limit: number;
  events: EventRow[];
}
