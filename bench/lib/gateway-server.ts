/**
 * Greenprint as `greenprint serve` runs it, for bench/gateway.ts, in a process of its own so that
 * its CPU time and memory can be read apart: a real SQLite ledger in GP_BENCH_DIR, the write-ahead
 * SpoolingSink in front of it (writing from a ledger thread, as serve does), the gateway (one upstream: the fake at GP_BENCH_UPSTREAM, one hashed
 * client key) mounted in the server app and served by its request listener (the proxied routes on
 * node:http, the rest through Hono), on 127.0.0.1 with a port chosen by the system.
 * IPC: sends `{ type: 'ready', port }`; answers `{ type: 'flush' }` with `{ type: 'flushed', stats }`
 * once everything accepted so far is in the ledger. Exits when its parent goes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createEstimator } from '../../dist/core/index.js';
import { loadReferenceData } from '../../dist/data/index.js';
import {
  createGateway,
  hashApiKey,
  parseGatewayConfig,
  SpoolingSink,
  startLedgerThread,
} from '../../dist/gateway/index.js';
import { Ledger } from '../../dist/ledger/index.js';
import { createApp, requestListener } from '../../dist/server/app.js';

const dir = process.env.GP_BENCH_DIR as string;
const upstream = process.env.GP_BENCH_UPSTREAM as string;
const clientKey = process.env.GP_BENCH_CLIENT_KEY as string;

const errors: string[] = [];
const onError = (e: Error) => {
  if (errors.length < 20) errors.push(e.message);
};

const ledger = await Ledger.open({
  url: join(dir, 'ledger.db'),
  estimator: createEstimator(loadReferenceData()),
});
const config = parseGatewayConfig({
  server: { host: '127.0.0.1', port: 0 },
  upstreams: [
    {
      name: 'bench-fake',
      baseUrl: upstream,
      apiKeyEnv: 'GP_BENCH_UPSTREAM_KEY',
      provider: 'openai',
      region: 'us-east-1',
    },
  ],
  keys: [{ id: 'bench', sha256: hashApiKey(clientKey), project: 'bench' }],
  spool: join(dir, 'spool.jsonl'),
});
// As `greenprint serve` does: the spool writes to the ledger from a thread of its own.
const writer = startLedgerThread({ url: join(dir, 'ledger.db') });
const sink = new SpoolingSink({
  record: (events) => writer.record(events),
  spoolPath: config.spool,
  onError,
});
const gateway = createGateway({
  config,
  estimator: ledger.estimator,
  sink,
  env: { GP_BENCH_UPSTREAM_KEY: 'sk-bench-upstream' },
  onError,
});
const app = createApp({ ledger, gateway });

const server = createServer(requestListener(app, gateway));
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('message', async (message: { type?: string }) => {
  if (message?.type !== 'flush') return;
  await sink.flush();
  process.send?.({ type: 'flushed', stats: sink.stats(), errors });
});
process.on('disconnect', () => {
  server.close();
  void sink
    .close()
    .then(() => writer.close())
    .then(() => ledger.close())
    .finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
