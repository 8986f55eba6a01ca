import type { Estimator, UsageEvent } from '../core/index.js';
import { GreenprintError, zoneForRegion } from '../core/index.js';
import type { GatewayConfig, UpstreamConfig } from '../gateway/index.js';
import { countInputTokens } from '../gateway/limits/index.js';
import type { PlanningSignals } from '../scheduler/planningSignals.js';
import { type JobQueue, jobIdFor, type QueuedJob } from '../scheduler/queue/index.js';
import type { Series } from '../scheduler/series.js';
import { BATCH_ENDPOINTS, type BatchEndpoint, parseBatchInput } from './parseBatchInput.js';
import { planBatchWindow } from './planBatchWindow.js';
import { type BatchStore, newId } from './store.js';
import type { Batch, BatchFile, BatchRealised, BatchRequest, BatchResult } from './types.js';

/** A batch request sent through the gateway in-process, on behalf of the batch's project. */
export interface BatchCall {
  project: string;
  /** The configured upstream the plan chose (its region is where the batch was planned to run). */
  upstream: string;
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  signal: AbortSignal;
}

export interface BatchCallAnswer {
  status: number;
  body: unknown;
  requestId: string;
  /** Energy the gateway metered for the call (its `x-greenprint-energy-wh`), Wh; 0 when unmetered. */
  energyWh: number;
}

export interface BatchJobPayload {
  batchId: string;
}

export interface BatchServiceOptions {
  store: BatchStore;
  queue: JobQueue<BatchJobPayload>;
  estimator: Estimator;
  config: GatewayConfig;
  signals: PlanningSignals;
  /** Sends one request through the gateway (budgets, cache, limits and metering apply). */
  send: (call: BatchCall) => Promise<BatchCallAnswer>;
  /** The scheduling clock, epoch ms; default Date.now. Tests pass a fake one, as they do to the queue. */
  now?: () => number;
  /** Requests in flight per batch; default 4. */
  concurrency?: number;
  /** Expected seconds per request, used to size the batch's run; default 2. */
  secondsPerRequest?: number;
  /** Output tokens assumed for a request without max_tokens; default 256. */
  defaultOutputTokens?: number;
  /** Failures that do not stop a batch (a signal provider down when realised carbon is computed). */
  onError?: (error: Error) => void;
}

/** Completion windows accepted, as OpenAI writes them ("24h"); up to a week. */
const WINDOW = /^(\d+)h$/;
const MAX_WINDOW_H = 168;

/**
 * The Batch API's work: files in, a plan into the greenest window (and region, where several
 * upstreams serve the model) before the deadline, a durable job at the planned start, the requests
 * run through the gateway, and the realised carbon against run-now kept with the batch.
 */
export class BatchService {
  private readonly now: () => number;

  readonly store: BatchStore;
  #stopping = false;

  constructor(private readonly options: BatchServiceOptions) {
    this.now = options.now ?? Date.now;
    this.store = options.store;
  }

  /**
   * Stops running batches between requests (server shutdown): their jobs fail this attempt and are
   * resumed after the lines already done, by the next worker.
   */
  stop(): void {
    this.#stopping = true;
  }

  async createFile(project: string, filename: string, purpose: string, content: string): Promise<BatchFile> {
    if (purpose !== 'batch') {
      throw new GreenprintError(
        'invalid_input',
        `Unsupported file purpose "${purpose}". This gateway stores batch input files: use purpose "batch".`,
      );
    }
    const file: BatchFile = {
      id: newId('file-'),
      object: 'file',
      project,
      purpose,
      filename,
      bytes: Buffer.byteLength(content),
      created_at: Math.floor(this.now() / 1000),
    };
    await this.options.store.putFile(file, content);
    return file;
  }

  async createBatch(
    project: string,
    input: {
      input_file_id?: unknown;
      endpoint?: unknown;
      completion_window?: unknown;
      metadata?: unknown;
    },
    attribution: { pipeline?: string; stage?: string } = {},
  ): Promise<Batch> {
    const endpoint = input.endpoint;
    if (typeof endpoint !== 'string' || !(BATCH_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw new GreenprintError(
        'invalid_input',
        `endpoint must be one of ${BATCH_ENDPOINTS.join(', ')}; got ${JSON.stringify(endpoint)}.`,
      );
    }
    const windowH = Number(WINDOW.exec(String(input.completion_window))?.[1]);
    if (!(windowH >= 1 && windowH <= MAX_WINDOW_H)) {
      throw new GreenprintError(
        'invalid_input',
        `completion_window must be whole hours such as "24h" (1h…${MAX_WINDOW_H}h); got ${JSON.stringify(input.completion_window)}.`,
      );
    }
    if (typeof input.input_file_id !== 'string') {
      throw new GreenprintError(
        'invalid_input',
        'input_file_id is required: upload the JSONL with POST /v1/files.',
      );
    }
    const metadata = parseMetadata(input.metadata);
    const content = await this.options.store.fileContent(project, input.input_file_id);
    const { requests, errors } = parseBatchInput(content, endpoint as BatchEndpoint);
    const nowMs = this.now();
    const batch: Batch = {
      id: newId('batch_'),
      object: 'batch',
      project,
      endpoint,
      input_file_id: input.input_file_id,
      completion_window: `${windowH}h`,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: Math.floor(nowMs / 1000),
      in_progress_at: null,
      expires_at: Math.floor((nowMs + windowH * 3_600_000) / 1000),
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: requests.length + errors.length, completed: 0, failed: 0 },
      metadata,
      errors: errors.length > 0 ? { object: 'list', data: errors } : null,
      greenprint: { ...attribution },
    };
    if (requests.length === 0) {
      batch.status = 'failed';
      batch.failed_at = batch.created_at;
      batch.request_counts.failed = errors.length;
      batch.errors ??= { object: 'list', data: [] };
      batch.errors.data.push({
        code: 'empty_file',
        message: 'The input file holds no valid request.',
        line: null,
      });
      await this.options.store.putBatch(batch);
      return batch;
    }
    const plan = await this.plan(batch, requests, nowMs, nowMs + windowH * 3_600_000);
    batch.greenprint.plan = plan;
    batch.status = 'validating';
    await this.options.store.putBatch(batch);
    await this.options.queue.enqueue({
      idempotencyKey: batchJobKey(batch.id),
      payload: { batchId: batch.id },
      runAtMs: plan.start_at * 1000,
    });
    return batch;
  }

  async cancel(project: string, id: string): Promise<Batch> {
    // Each step is a compare-and-set on the stored status, so a worker starting the batch at the same
    // moment is never overwritten; on a lost race the batch is read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const batch = await this.get(project, id);
      const at = Math.floor(this.now() / 1000);
      if (batch.status === 'cancelling' || batch.status === 'cancelled') return batch;
      if (batch.status !== 'validating' && batch.status !== 'in_progress') {
        throw new GreenprintError(
          'invalid_state',
          `Batch ${id} is ${batch.status}; only a batch not yet finished can be cancelled.`,
        );
      }
      // A queued job cancelled before any worker took it never runs; otherwise the running batch
      // stops between requests when it sees `cancelling`.
      const unstarted =
        batch.status === 'validating' && (await this.options.queue.cancel(jobIdFor(batchJobKey(id))));
      const from = batch.status;
      batch.status = unstarted ? 'cancelled' : 'cancelling';
      batch.cancelling_at = at;
      if (unstarted) batch.cancelled_at = at;
      if (await this.options.store.updateBatch(batch, [from])) return batch;
    }
    throw new GreenprintError('invalid_state', `Batch ${id} kept changing while being cancelled; try again.`);
  }

  async get(project: string, id: string): Promise<Batch> {
    const batch = await this.options.store.batch(id, project);
    if (!batch) throw new GreenprintError('not_found', `No batch "${id}". Create one with POST /v1/batches.`);
    return batch;
  }

  /** The queue handler: runs a planned batch, resuming after the lines a crashed run finished. */
  async run(job: QueuedJob<BatchJobPayload>, signal: AbortSignal): Promise<{ status: string }> {
    const { store } = this.options;
    const batch = await store.batch(job.payload.batchId);
    if (!batch) return { status: 'missing' };
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status))
      return { status: batch.status };
    const plan = batch.greenprint.plan;
    const content = await store.fileContent(batch.project, batch.input_file_id);
    const { requests } = parseBatchInput(content, batch.endpoint as BatchEndpoint);
    const done = new Map((await store.results(batch.id)).map((r) => [r.line, r]));
    if (batch.status === 'validating') {
      batch.status = 'in_progress';
      batch.in_progress_at = Math.floor(this.now() / 1000);
      // A cancel that came in meanwhile wins: the stored status is then `cancelling`.
      if (!(await store.updateBatch(batch, ['validating'])))
        return { status: await this.finish(batch.id, 'cancelled', requests) };
    }
    if (batch.status === 'cancelling') return { status: await this.finish(batch.id, 'cancelled', requests) };
    const pending = requests.filter((r) => !done.has(r.line));
    let next = 0;
    let cancelled = false;
    // Past its completion window a batch stops, as OpenAI's do: what finished is kept, the rest expires.
    const expired = () => this.now() >= batch.expires_at * 1000;
    const worker = async () => {
      while (next < pending.length && !signal.aborted && !cancelled && !this.#stopping && !expired()) {
        const request = pending[next++] as BatchRequest;
        if ((await store.status(batch.id)) === 'cancelling') {
          cancelled = true;
          return;
        }
        const result = await this.runOne(batch, plan?.upstream, request, signal);
        await store.putResult(result);
        done.set(result.line, result);
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 4 }, worker));
    if (signal.aborted) throw new Error(`Batch ${batch.id} lost its lease; another worker resumes it.`);
    if (this.#stopping && !cancelled && done.size < requests.length) {
      throw new Error(
        `Batch ${batch.id} paused by shutdown after ${done.size} of ${requests.length} requests; it resumes there.`,
      );
    }
    const end = cancelled ? 'cancelled' : done.size < requests.length && expired() ? 'expired' : 'completed';
    return { status: await this.finish(batch.id, end, requests) };
  }

  private async runOne(
    batch: Batch,
    upstream: string | undefined,
    request: BatchRequest,
    signal: AbortSignal,
  ): Promise<BatchResult> {
    const headers: Record<string, string> = {
      'x-greenprint-pipeline': batch.greenprint.pipeline ?? 'batch',
      'x-greenprint-run': batch.id,
    };
    if (batch.greenprint.stage) headers['x-greenprint-stage'] = batch.greenprint.stage;
    const id = `batch_req_${batch.id.slice('batch_'.length)}_${request.line}`;
    try {
      const answer = await this.options.send({
        project: batch.project,
        upstream: upstream ?? '',
        path: request.url,
        body: request.body,
        headers,
        signal,
      });
      const ok = answer.status < 400;
      return {
        batchId: batch.id,
        line: request.line,
        ok,
        energyWh: answer.energyWh,
        doneAtMs: this.now(),
        output: {
          id,
          custom_id: request.custom_id,
          response: { status_code: answer.status, request_id: answer.requestId, body: answer.body },
          error: null,
        },
      };
    } catch (error) {
      if (signal.aborted) throw error;
      return {
        batchId: batch.id,
        line: request.line,
        ok: false,
        energyWh: 0,
        doneAtMs: this.now(),
        output: {
          id,
          custom_id: request.custom_id,
          response: null,
          error: { code: 'request_failed', message: (error as Error).message },
        },
      };
    }
  }

  /**
   * Writes the output and error files, the counts and the realised carbon; idempotent. An expired
   * batch's unrun requests go to the error file as `batch_expired`.
   */
  private async finish(
    batchId: string,
    end: 'completed' | 'cancelled' | 'expired',
    requests: readonly BatchRequest[],
  ): Promise<string> {
    const { store } = this.options;
    const batch = (await store.batch(batchId)) as Batch;
    const results = await store.results(batchId);
    const nowS = Math.floor(this.now() / 1000);
    batch.finalizing_at ??= nowS;
    const good = results.filter((r) => r.ok);
    const bad = results.filter((r) => !r.ok);
    if (end === 'expired') {
      const ran = new Set(results.map((r) => r.line));
      for (const request of requests) {
        if (ran.has(request.line)) continue;
        bad.push({
          batchId,
          line: request.line,
          ok: false,
          energyWh: 0,
          doneAtMs: nowS * 1000,
          output: {
            id: `batch_req_${batchId.slice('batch_'.length)}_${request.line}`,
            custom_id: request.custom_id,
            response: null,
            error: { code: 'batch_expired', message: 'The batch expired before this request could run.' },
          },
        });
      }
    }
    const lineErrors = batch.errors?.data.filter((e) => e.line !== null).length ?? 0;
    batch.request_counts.completed = good.length;
    batch.request_counts.failed = bad.length + lineErrors;
    const outputId = `file-out-${batchId.slice('batch_'.length)}`;
    const errorId = `file-err-${batchId.slice('batch_'.length)}`;
    await this.putOutput(batch, outputId, `${batchId}_output.jsonl`, good);
    batch.output_file_id = outputId;
    if (bad.length > 0) {
      await this.putOutput(batch, errorId, `${batchId}_errors.jsonl`, bad);
      batch.error_file_id = errorId;
    }
    batch.greenprint.realised = await this.realised(batch, results);
    const from = batch.status;
    batch.status = end;
    if (end === 'cancelled') batch.cancelled_at = nowS;
    else if (end === 'expired') batch.expired_at = nowS;
    else batch.completed_at = nowS;
    // A cancel that landed after the last request still ends the batch as cancelled.
    if (!(await store.updateBatch(batch, [from]))) {
      const latest = (await store.batch(batchId)) as Batch;
      batch.status = latest.status === 'cancelling' ? 'cancelled' : batch.status;
      batch.cancelling_at = latest.cancelling_at;
      if (batch.status === 'cancelled') batch.cancelled_at = nowS;
      await store.putBatch(batch);
    }
    return batch.status;
  }

  private async putOutput(batch: Batch, id: string, filename: string, results: BatchResult[]): Promise<void> {
    const content =
      results.map((r) => JSON.stringify(r.output)).join('\n') + (results.length > 0 ? '\n' : '');
    await this.options.store.putFile(
      {
        id,
        object: 'file',
        project: batch.project,
        purpose: 'batch_output',
        filename,
        bytes: Buffer.byteLength(content),
        created_at: Math.floor(this.now() / 1000),
      },
      content,
    );
  }

  /**
   * Realised carbon: each request's metered energy at the actual intensity of the slot it ran in;
   * run-now: the same energy, spread over the same run length, from the submission slot in the home
   * zone. Left out (undefined) when the signal has no actual values for those hours.
   */
  private async realised(batch: Batch, results: BatchResult[]): Promise<BatchRealised | undefined> {
    const plan = batch.greenprint.plan;
    if (!plan || results.length === 0) return undefined;
    const started = Math.min(...results.map((r) => r.doneAtMs));
    const ended = Math.max(...results.map((r) => r.doneAtMs));
    const startedAt = Math.min(started, (batch.in_progress_at ?? started / 1000) * 1000);
    const submitted = batch.created_at * 1000;
    const span = Math.max(ended - startedAt, 1);
    const { signals } = this.options;
    let ran: Series | undefined;
    let counterfactual: Series | undefined;
    try {
      ran = await signals.actual(plan.zone, startedAt, ended + 1);
      // Run-now is the default route's zone: a saving from moving region counts too.
      counterfactual = await signals.actual(plan.home_zone, submitted, submitted + span + 1);
    } catch (error) {
      this.options.onError?.(
        new Error(`Batch ${batch.id}: no actual intensities yet, realised carbon left out`, { cause: error }),
      );
      return undefined;
    }
    if (!ran || !counterfactual) return undefined;
    let grams = 0;
    let energyWh = 0;
    for (const r of results) {
      const i = Math.min(ran.values.length - 1, Math.floor((r.doneAtMs - ran.startMs) / ran.stepMs));
      grams += (r.energyWh / 1000) * (ran.values[i] as number);
      energyWh += r.energyWh;
    }
    let mean = 0;
    for (const v of counterfactual.values) mean += v;
    mean /= counterfactual.values.length;
    const runNow = (energyWh / 1000) * mean;
    return {
      started_at: Math.floor(startedAt / 1000),
      ended_at: Math.floor(ended / 1000),
      energy_wh: energyWh,
      gco2e: grams,
      run_now_gco2e: runNow,
      saving_gco2e: runNow - grams,
      saving_pct: runNow > 0 ? (100 * (runNow - grams)) / runNow : 0,
    };
  }

  /** Sizes the batch (energy from the core, duration from the request count) and plans it. */
  private async plan(batch: Batch, requests: BatchRequest[], fromMs: number, deadlineMs: number) {
    const { config, estimator } = this.options;
    const models = [...new Set(requests.map((r) => r.body.model))];
    const candidates = config.upstreams.filter(
      (u) => u.kind === 'openai' && models.every((m) => servesModel(config, u, m)),
    );
    if (candidates.length === 0) {
      throw new GreenprintError(
        'invalid_input',
        `No single upstream serves every model of the batch (${models.join(', ')}). Split the batch by model, or add the models to an upstream in the gateway config.`,
      );
    }
    const defaultOutput = this.options.defaultOutputTokens ?? 256;
    const zones = candidates.map((u) => ({
      upstream: u,
      zone: u.region ? zoneForRegion(u.region, estimator.reference.cloudRegions) : undefined,
    }));
    let energyWh = 0;
    for (const r of requests) {
      const model = config.aliases[r.body.model] ?? r.body.model;
      const upstream = candidates[0] as UpstreamConfig;
      const inputTokens = countInputTokens({ path: r.url, model, json: r.body })?.tokens ?? 0;
      const event: UsageEvent = {
        requestModel: model,
        provider: upstream.provider,
        deployment: upstream.deployment,
        ...(upstream.region ? { region: upstream.region } : {}),
        inputTokens,
        outputTokens: batch.endpoint === '/v1/embeddings' ? 0 : outputTokensOf(r.body, defaultOutput),
      };
      try {
        energyWh += estimator.estimate(event).energyWh.mid;
      } catch {
        // A model the catalog does not know still runs; it just weighs nothing in the plan.
      }
    }
    const concurrency = this.options.concurrency ?? 4;
    const durationMs =
      Math.ceil(requests.length / concurrency) * (this.options.secondsPerRequest ?? 2) * 1000;
    return planBatchWindow({
      batchId: batch.id,
      signals: this.options.signals,
      candidates: zones.map((z) => ({ upstream: z.upstream.name, zone: z.zone })),
      energyWh,
      durationMs,
      fromMs,
      deadlineMs,
    });
  }
}

/** The queue's idempotency key of a batch: one job per batch, ever. */
function batchJobKey(batchId: string): string {
  return `batch:${batchId}`;
}

function servesModel(config: GatewayConfig, upstream: UpstreamConfig, model: string): boolean {
  const target = config.aliases[model] ?? model;
  return upstream.models.includes(target) || upstream.models.includes('*');
}

function outputTokensOf(body: Record<string, unknown>, fallback: number): number {
  const n = Number(body.max_completion_tokens ?? body.max_tokens);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function parseMetadata(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GreenprintError(
      'invalid_input',
      'metadata must be an object of string values (at most 16 keys).',
    );
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 16 || entries.some(([, v]) => typeof v !== 'string')) {
    throw new GreenprintError(
      'invalid_input',
      'metadata must be an object of string values (at most 16 keys).',
    );
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
