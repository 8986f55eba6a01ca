/**
 * One stored usage event, append-only: the event as received and the headline figures computed for
 * it. Everything a report needs lives in the rollups; the event itself is kept for `recompute`.
 */
export interface EventsTable {
  id: string;
  /** Event start, ms since the Unix epoch (ingest time when the event has none). */
  ts_ms: number;
  project: string;
  pipeline: string;
  stage: string;
  run: string;
  model: string;
  methodology_version: string;
  energy_wh_low: number;
  energy_wh_mid: number;
  energy_wh_high: number;
  carbon_g_mid: number;
  water_ml_mid: number;
  embodied_g_mid: number;
  cost_usd: number | null;
  /** The usage event as received (JSON). */
  event_json: string;
}

/** Dimensions of the hourly rollup; '' stands for "not given" so the key stays unique. */
export const ROLLUP_KEYS = [
  'hour',
  'organisation',
  'project',
  'pipeline',
  'stage',
  'model',
  'provider',
  'region',
  'deployment',
  'scope',
  'scope_category',
  'embodied_scope',
  'embodied_category',
] as const;

/** Additive measures kept by every rollup row. */
export const ROLLUP_MEASURES = [
  'events',
  'requests',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'images',
  'audio_seconds',
  'video_seconds',
  'measured',
  'has_market',
  'cost_usd',
  'priced',
  'energy_wh_low',
  'energy_wh_mid',
  'energy_wh_high',
  'carbon_g_low',
  'carbon_g_mid',
  'carbon_g_high',
  'carbon_market_g_low',
  'carbon_market_g_mid',
  'carbon_market_g_high',
  'water_ml_low',
  'water_ml_mid',
  'water_ml_high',
  'embodied_g_low',
  'embodied_g_mid',
  'embodied_g_high',
] as const;

export type RollupKey = (typeof ROLLUP_KEYS)[number];
/** Rollup dimensions stored as integers; the rest are text. */
export const NUMERIC_KEYS = [
  'hour',
  'scope',
  'scope_category',
  'embodied_scope',
  'embodied_category',
] as const;
type NumericKey = (typeof NUMERIC_KEYS)[number];
export type RollupMeasure = (typeof ROLLUP_MEASURES)[number];

/** Everything the ledger derives from one event before storing it: the event row plus every rollup dimension and measure. */
export type LedgerRow = EventsTable & { [K in RollupKey]: K extends NumericKey ? number : string } & {
  [M in Exclude<RollupMeasure, 'events' | 'priced' | 'cost_usd'>]: number;
} & { team: string; grid_g_per_kwh: number; grid_source: string; grid_year: number | null };

export type RollupsTable = { [K in RollupKey]: K extends NumericKey ? number : string } & {
  [M in RollupMeasure]: number;
};

/** Per pipeline run and stage: what the process map needs (runs are far fewer than events). */
export interface RunStagesTable {
  project: string;
  pipeline: string;
  run: string;
  stage: string;
  first_ts_ms: number;
  events: number;
  requests: number;
  energy_wh_low: number;
  energy_wh_mid: number;
  energy_wh_high: number;
  carbon_g_low: number;
  carbon_g_mid: number;
  carbon_g_high: number;
  embodied_g_mid: number;
}

/** Grid factors and methodology versions behind the stored figures: what an auditor asks for. */
export interface FactorsTable {
  zone: string;
  source: string;
  year: number;
  methodology_version: string;
  g_per_kwh_min: number;
  g_per_kwh_max: number;
  events: number;
  energy_wh_mid: number;
}

export interface Database {
  events: EventsTable;
  rollups: RollupsTable;
  run_stages: RunStagesTable;
  factors: FactorsTable;
  files: FilesTable;
  batches: BatchesTable;
  batch_results: BatchResultsTable;
}

/** A file uploaded through the Batch API (`POST /v1/files`): batch input, or a batch's output. */
export interface FilesTable {
  id: string;
  project: string;
  purpose: string;
  filename: string;
  bytes: number;
  created_at_ms: number;
  content: string;
}

/** A batch: the OpenAI batch object (`batch_json`) plus its plan and realised carbon as columns. */
export interface BatchesTable {
  id: string;
  project: string;
  status: string;
  created_at_ms: number;
  /** Grid zone the batch was planned into. */
  zone: string;
  planned_start_ms: number | null;
  energy_wh: number | null;
  /** gCO2e expected in the planned slots, and had it run at submission, under the forecast. */
  expected_g: number | null;
  run_now_g: number | null;
  /** gCO2e of the energy actually used, at the hours it ran, and had it run at submission (actual intensities). */
  realised_g: number | null;
  realised_run_now_g: number | null;
  batch_json: string;
}

/** One finished request of a batch; a resumed batch skips the lines already here. */
export interface BatchResultsTable {
  batch_id: string;
  line: number;
  ok: number;
  energy_wh: number;
  done_at_ms: number;
  result_json: string;
}
