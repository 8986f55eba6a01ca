import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { serve } from '@hono/node-server';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createEstimator } from '../src/core/index.js';
import { loadReferenceData } from '../src/data/index.js';
import { FAKE, startFakeUpstream } from '../src/gateway/fixtures/fakeUpstream.js';
import { createGateway, parseGatewayConfig, SpoolingSink } from '../src/gateway/index.js';
import { Ledger, report } from '../src/ledger/index.js';
import { DIALECTS } from './dbs.js';

// The Done-when check of the gateway issue, end to end: the official openai client through the real
// gateway, against a local provider, and the real ledger (through the spool) holds the right tokens
// and the impacts the estimator gives — on SQLite and on PostgreSQL.
const estimator = createEstimator(loadReferenceData());

describe.each(DIALECTS)('openai client and Vercel AI SDK → gateway → ledger on $name', ({ fresh }) => {
  it('records one event per call with the provider-reported tokens and the estimated impact', async () => {
    const db = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'gp-gw-'));
    const fake = await startFakeUpstream();
    const ledger = await Ledger.open({ url: db.url, estimator });
    const sink = new SpoolingSink({
      record: (e) => ledger.record(e),
      spoolPath: join(dir, 'spool.jsonl'),
      intervalMs: 10,
    });
    const config = parseGatewayConfig({
      upstreams: [
        { name: 'fake', baseUrl: fake.baseUrl, apiKeyEnv: 'FAKE_KEY', provider: 'openai', region: 'FR' },
      ],
    });
    const app = createGateway({ config, estimator, sink, env: { FAKE_KEY: 'sk-fake' } });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const port = (server.address() as AddressInfo).port;
    try {
      const client = new OpenAI({
        baseURL: `http://127.0.0.1:${port}/v1`,
        apiKey: 'unused-on-loopback',
        defaultHeaders: { 'x-greenprint-pipeline': 'newsletter', 'x-greenprint-stage': 'draft' },
      });
      const plain = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(plain.choices[0]?.message.content).toBe(FAKE.chatText);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe(FAKE.chatText);
      // And the Vercel AI SDK through the same gateway.
      const sdk = createOpenAICompatible({
        name: 'openai',
        baseURL: `http://127.0.0.1:${port}/v1`,
        apiKey: 'unused-on-loopback',
        includeUsage: true,
        headers: { 'x-greenprint-pipeline': 'newsletter', 'x-greenprint-stage': 'draft' },
      });
      expect((await generateText({ model: sdk('gpt-4o-mini'), prompt: 'Hi' })).text).toBe(FAKE.chatText);
      const streamed = streamText({ model: sdk('gpt-4o-mini'), prompt: 'Hi' });
      await streamed.consumeStream();
      expect(await streamed.text).toBe(FAKE.chatText);
      await sink.close();

      const rep = await report(ledger, { by: ['pipeline', 'stage', 'model'] });
      expect(rep.rows).toHaveLength(1);
      const row = rep.rows[0];
      expect(row?.group).toEqual({ pipeline: 'newsletter', stage: 'draft', model: FAKE.chatModel });
      expect(row?.events).toBe(4);
      expect(row?.inputTokens).toBe(4 * FAKE.chatUsage.prompt_tokens);
      expect(row?.outputTokens).toBe(4 * FAKE.chatUsage.completion_tokens);
      const expected = estimator.estimate({
        requestModel: 'gpt-4o-mini',
        responseModel: FAKE.chatModel,
        provider: 'openai',
        region: 'FR',
        inputTokens: FAKE.chatUsage.prompt_tokens,
        outputTokens: FAKE.chatUsage.completion_tokens,
        cachedInputTokens: FAKE.chatUsage.cached_tokens,
        reasoningTokens: FAKE.chatUsage.reasoning_tokens,
      });
      expect(row?.energyKwh.mid).toBeCloseTo((4 * expected.energyWh.mid) / 1000, 12);
      expect(row?.carbonKg.mid).toBeCloseTo((4 * expected.carbonGCO2e.location.mid) / 1000, 12);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
      await ledger.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
