import type { Hono } from 'hono';
import { authenticate, type GatewayConfig } from '../gateway/index.js';
import type { Ledger } from '../ledger/index.js';
import { configuredSignals } from '../scheduler/configuredSignals.js';
import type { PlanningSignals } from '../scheduler/planningSignals.js';
import { openJobQueue } from '../scheduler/queue/index.js';
import { type BatchJobPayload, BatchService } from './batchService.js';
import { gatewaySend } from './gatewaySend.js';
import { batchRoutes } from './routes.js';
import { BatchStore } from './store.js';

export interface BatchApi {
  routes: Hono;
  service: BatchService;
  /** Pauses running batches after their requests in flight, then stops the worker and the queue. */
  close(): Promise<void>;
}

/**
 * The Batch API as `greenprint serve` runs it: batches stored in the ledger, planned on the
 * configured signals (or the shipped sample), queued on `scheduler.queue` (SQLite by default,
 * BullMQ on Redis), and a worker in this process sending each request through `gateway`.
 */
export async function startBatchApi(options: {
  config: GatewayConfig;
  ledger: Ledger;
  gateway: Pick<Hono, 'request'>;
  requireKey: boolean;
  signals?: PlanningSignals;
  now?: () => number;
  pollMs?: number;
  /** Queue name (default `batches`): processes sharing a queue store with another name never see these jobs. */
  queueName?: string;
  onError?: (error: Error) => void;
}): Promise<BatchApi> {
  const { config, ledger } = options;
  const now = options.now ?? Date.now;
  const queue = await openJobQueue<BatchJobPayload>({
    ...(config.scheduler.queue ? { url: config.scheduler.queue } : {}),
    name: options.queueName ?? 'batches',
    now,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const service = new BatchService({
    store: new BatchStore(ledger.db),
    queue,
    estimator: ledger.estimator,
    config,
    signals: options.signals ?? configuredSignals(config.scheduler),
    send: gatewaySend(options.gateway),
    now,
    concurrency: config.scheduler.concurrency,
    secondsPerRequest: config.scheduler.secondsPerRequest,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  // Two batches at once, so one long batch does not hold another past its planned slot.
  const worker = queue.work((job, signal) => service.run(job, signal), {
    pollMs: options.pollMs ?? 1000,
    concurrency: 2,
  });
  return {
    routes: batchRoutes(service, authenticate({ keys: config.keys, requireKey: options.requireKey })),
    service,
    async close() {
      service.stop();
      await worker.stop();
      await queue.close();
    },
  };
}
