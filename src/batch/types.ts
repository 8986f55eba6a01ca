/** The OpenAI file object, with the owning project (never shown to clients). */
export interface BatchFile {
  id: string;
  object: 'file';
  project: string;
  purpose: string;
  filename: string;
  bytes: number;
  /** Unix seconds. */
  created_at: number;
}

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

/** Where and when a batch was planned to run, with the carbon expected there and at submission. */
export interface BatchPlan {
  zone: string;
  /** Where it would have run at once (the default route's zone): the run-now counterfactual's zone. */
  home_zone: string;
  upstream: string;
  /** Unix seconds: planned start and end, and the submission slot it was compared with. */
  start_at: number;
  end_at: number;
  run_now_at: number;
  /** Estimated energy of the whole batch, Wh (core estimate per request: counted input tokens, max_tokens or the default output). */
  energy_wh: number;
  /** gCO2e under the forecast: in the planned slots, and had it started at submission. */
  expected_gco2e: number;
  run_now_gco2e: number;
  saving_pct: number;
  /** The intensity signal the plan believed, and how its future part was made. */
  signal: string;
}

/** What the batch used and emitted once it ran, against running at submission (actual intensities). */
export interface BatchRealised {
  started_at: number;
  ended_at: number;
  energy_wh: number;
  gco2e: number;
  run_now_gco2e: number;
  saving_gco2e: number;
  saving_pct: number;
}

/** The OpenAI batch object plus Greenprint's plan and realised figures under `greenprint`. */
export interface Batch {
  id: string;
  object: 'batch';
  project: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  errors: { object: 'list'; data: { code: string; message: string; line: number | null }[] } | null;
  greenprint: {
    pipeline?: string;
    stage?: string;
    plan?: BatchPlan;
    realised?: BatchRealised;
  };
}

/** One request line of a batch input file. */
export interface BatchRequest {
  line: number;
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown> & { model: string };
}

/** One finished line: its output-file record and the energy the gateway metered for it. */
export interface BatchResult {
  batchId: string;
  line: number;
  ok: boolean;
  energyWh: number;
  doneAtMs: number;
  output: {
    id: string;
    custom_id: string;
    response: { status_code: number; request_id: string; body: unknown } | null;
    error: { code: string; message: string } | null;
  };
}
