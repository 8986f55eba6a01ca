import { type Batch, startBatchApi } from '../batch/index.js';
import type { UsageEvent } from '../core/index.js';
import {
  configuredPolicies,
  createGateway,
  type EventSink,
  INTERNAL_CALL,
  parseGatewayConfig,
  type SinkStats,
} from '../gateway/index.js';
import { type Ledger, newEventId } from '../ledger/index.js';
import { sampleSignals } from '../scheduler/sampleSignals.js';
import { startSimulatedProvider } from './simulatedProvider.js';

/** Everything the demo records carries this project, so it is never mistaken for real usage. */
export const DEMO_PROJECT = 'demo';

export interface DemoOptions {
  ledger: Ledger;
  /** The real clock; the demo's runs are placed over the `days` before it. Default Date.now. */
  now?: () => number;
  /** Days of history to replay; default 14. */
  days?: number;
  /** Runs of the content pipeline per weekday (one on Saturdays and Sundays, UTC); default 3. */
  runsPerDay?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoResult {
  events: number;
  runs: number;
  batch: Batch;
}

const BRIEFS = [
  'Spring collection launch: three 30-second social videos for young urban cyclists.',
  'Explainer for the new recycling programme, friendly tone, 45 seconds.',
  'Product teaser for the solar backpack, premium tone, 20 seconds.',
  'Customer story: a bakery that cut its energy bill, documentary tone, 60 seconds.',
  'Holiday campaign, warm tone, 30 seconds, subtitles in three languages.',
];

/**
 * The first-run demo: a local simulated provider behind the real gateway (cache on), a content
 * production workload replayed through it over the last `days` — brief → script → storyboard
 * images → voice-over → video → captions, plus a support pipeline — and one batch planned by the
 * scheduler on the shipped grid traces, deferred and run. Everything lands in `ledger` under project
 * `demo`. A virtual clock places each call at its time; the calls themselves are real HTTP requests
 * through the gateway's code to the simulated provider.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { ledger } = options;
  const realNow = (options.now ?? Date.now)();
  const days = options.days ?? 14;
  const runsPerDay = options.runsPerDay ?? 3;
  const provider = await startSimulatedProvider();
  let clock = realNow - days * 86_400_000;
  const now = () => clock;
  const pending: UsageEvent[] = [];
  let recorded = 0;
  const sink: EventSink = {
    enqueue(event) {
      const id = event.id ?? newEventId(clock, 'demo');
      pending.push({ ...event, id });
      return id;
    },
    async flush() {
      const batch = pending.splice(0);
      if (batch.length > 0) recorded += (await ledger.record(batch)).inserted;
    },
    close() {
      return this.flush();
    },
    stats: (): SinkStats =>
      ({ accepted: recorded + pending.length, recorded, pending: pending.length }) as SinkStats,
  };
  const config = parseGatewayConfig({
    upstreams: [
      { name: 'simulated-eu', baseUrl: provider.baseUrl, provider: 'openai', region: 'DE', models: ['*'] },
      {
        name: 'simulated-us',
        baseUrl: provider.baseUrl,
        provider: 'openai',
        region: 'US-CAL-CISO',
        models: ['*'],
      },
      { name: 'simulated-uk', baseUrl: provider.baseUrl, provider: 'openai', region: 'GB', models: ['*'] },
    ],
    cache: { enabled: true },
    scheduler: { queue: ':memory:' },
  });
  const configured = await configuredPolicies(config, { estimator: ledger.estimator, now });
  const gateway = createGateway({
    config,
    estimator: ledger.estimator,
    sink,
    now,
    policies: configured.policies,
    observers: configured.observers,
  });
  const call = async (path: string, stage: string, run: string, pipeline: string, body: unknown) => {
    const multipart = body instanceof FormData;
    const response = await gateway.request(
      path,
      {
        method: 'POST',
        headers: {
          ...(multipart ? {} : { 'content-type': 'application/json' }),
          'x-greenprint-pipeline': pipeline,
          'x-greenprint-stage': stage,
          'x-greenprint-run': run,
        },
        body: multipart ? body : JSON.stringify(body),
      },
      { [INTERNAL_CALL]: { project: DEMO_PROJECT } },
    );
    await response.arrayBuffer();
    clock += 60_000 + ((clock / 1000) % 7) * 30_000;
  };
  // Weekends see one run, weekdays `runsPerDay`: the charts show a working week, not a flat line.
  const runsOn = (day: number) => {
    const weekday = new Date(realNow - (days - day) * 86_400_000).getUTCDay();
    return weekday === 0 || weekday === 6 ? 1 : runsPerDay;
  };
  const total = Array.from({ length: days }, (_, day) => runsOn(day)).reduce((a, b) => a + b, 0);
  let n = -1;
  try {
    for (let day = 0; day < days; day++) {
      for (let r = 0; r < runsOn(day); r++) {
        n++;
        clock = realNow - (days - day) * 86_400_000 + (8 + r * 3) * 3_600_000 + (n % 5) * 600_000;
        const run = `demo-${new Date(clock).toISOString().slice(0, 16)}`;
        const pipeline = 'content-production';
        await call('/v1/chat/completions', 'brief', run, pipeline, {
          model: 'gpt-4o-mini',
          temperature: 0,
          max_tokens: 400,
          messages: [{ role: 'user', content: `Write a creative brief. ${BRIEFS[n % BRIEFS.length]}` }],
        });
        await call('/v1/chat/completions', 'script', run, pipeline, {
          model: 'gpt-4o',
          stream: true,
          max_tokens: 1500,
          messages: [
            { role: 'user', content: `Write the script for run ${run}: ${BRIEFS[n % BRIEFS.length]}` },
          ],
        });
        await call('/v1/images/generations', 'storyboard', run, pipeline, {
          model: 'dall-e-3',
          n: 4 + (n % 3),
          size: '1024x1024',
          prompt: `Storyboard frames for ${run}`,
        });
        await call('/v1/audio/speech', 'voice-over', run, pipeline, {
          model: 'tts-1',
          voice: 'alloy',
          input: 'Narration. '.repeat(90 + (n % 4) * 20),
        });
        // The gateway has no video route yet: the render is recorded as the event a video API's usage gives.
        sink.enqueue({
          requestModel: 'sora-2',
          provider: 'openai',
          region: 'US-CAL-CISO',
          operation: 'video_generation',
          video: { seconds: 8 + (n % 3) * 4, width: 1280, height: 720 },
          startTime: new Date(clock).toISOString(),
          project: DEMO_PROJECT,
          pipeline,
          stage: 'video',
          run,
          tags: { source: 'demo: recorded directly, no gateway video route' },
        });
        clock += 300_000;
        const audio = new FormData();
        audio.append('model', 'whisper-1');
        audio.append('response_format', 'verbose_json');
        audio.append('file', new Blob([new Uint8Array(4096)], { type: 'audio/mpeg' }), `${run}.mp3`);
        await call('/v1/audio/transcriptions', 'captions', run, pipeline, audio);
        // A second, smaller pipeline: support answers grounded on an embedded knowledge base.
        await call('/v1/embeddings', 'retrieve', `${run}-support`, 'support-answers', {
          model: 'text-embedding-3-small',
          input: [`Customer question ${n}`, 'How do I return an item?'],
        });
        await call('/v1/chat/completions', 'answer', `${run}-support`, 'support-answers', {
          model: 'gpt-4o-mini',
          max_tokens: 300,
          messages: [{ role: 'user', content: `Answer customer question ${n} from the retrieved passages.` }],
        });
        await sink.flush();
        options.onProgress?.(n + 1, total);
      }
    }
    const batch = await deferredBatch(
      realNow,
      config,
      ledger,
      gateway,
      () => clock,
      (ms) => (clock = ms),
    );
    await sink.flush();
    return { events: recorded, runs: total, batch };
  } finally {
    await configured.close();
    await provider.close();
  }
}

/**
 * One nightly batch (catalogue descriptions, 24 h window) submitted two days ago, planned on the
 * shipped traces and run at its planned slot.
 */
async function deferredBatch(
  realNow: number,
  config: ReturnType<typeof parseGatewayConfig>,
  ledger: Ledger,
  gateway: ReturnType<typeof createGateway>,
  now: () => number,
  setClock: (ms: number) => void,
): Promise<Batch> {
  setClock(realNow - 2 * 86_400_000 + 17 * 3_600_000);
  const api = await startBatchApi({
    config,
    ledger,
    gateway,
    requireKey: false,
    signals: sampleSignals(),
    now,
    pollMs: 10,
  });
  try {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        custom_id: `sku-${1000 + i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'gpt-4o-mini',
          max_tokens: 250,
          messages: [{ role: 'user', content: `Write the catalogue description of product ${1000 + i}.` }],
        },
      }),
    );
    const file = await api.service.createFile(DEMO_PROJECT, 'catalogue.jsonl', 'batch', lines.join('\n'));
    const batch = await api.service.createBatch(
      DEMO_PROJECT,
      { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
      { pipeline: 'catalogue-refresh', stage: 'descriptions' },
    );
    const start = (batch.greenprint.plan?.start_at ?? Math.floor(now() / 1000)) * 1000;
    setClock(start + 60_000);
    for (let i = 0; i < 1000; i++) {
      const current = await api.service.get(DEMO_PROJECT, batch.id);
      if (current.status === 'completed' || current.status === 'failed') return current;
      await new Promise((r) => setTimeout(r, 10));
    }
    return api.service.get(DEMO_PROJECT, batch.id);
  } finally {
    await api.close();
  }
}
