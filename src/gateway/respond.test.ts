import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './fixtures/harness.js';

// An upstream that streams far more than the sockets buffer (10,000 events of ~2 KB), with usage at
// the end: the gateway must hold it back while the client reads slowly, and lose nothing.
const EVENTS = 10_000;
const TEXT = 'x'.repeat(2000);
let upstream: Server;
let gateway: TestGateway;
let written = 0;

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const pump = () => {
      while (i < EVENTS) {
        i++;
        written = i;
        const chunk = { choices: [{ index: 0, delta: { content: TEXT } }] };
        if (!res.write(`data: ${JSON.stringify(chunk)}\n\n`)) {
          res.once('drain', pump);
          return;
        }
      }
      const usage = { choices: [], usage: { prompt_tokens: 5, completion_tokens: EVENTS } };
      res.end(`data: ${JSON.stringify(usage)}\n\ndata: [DONE]\n\n`);
    };
    pump();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  gateway = await startGateway({
    upstreams: [{ name: 'big', baseUrl: `http://127.0.0.1:${port}/v1`, provider: 'openai' }],
  });
});

afterAll(async () => {
  await gateway.close();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe('respond', () => {
  it('streams an answer larger than the socket buffers to a slow client, event by event, with nothing lost', {
    timeout: 30_000,
  }, async () => {
    written = 0;
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true }),
    });
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let stalled = 0;
    for (let reads = 0; ; reads++) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (reads === 0) {
        // A client that stops reading: once the sockets between are full, the upstream must wait.
        await new Promise((resolve) => setTimeout(resolve, 500));
        stalled = written;
      }
    }
    const events = text.split('\n\n').filter(Boolean);
    const content = events.filter((e) => e.startsWith('data: {"choices":[{'));
    expect(content).toHaveLength(EVENTS);
    expect(
      content.every(
        (e) =>
          (JSON.parse(e.slice(6)) as { choices: { delta: { content: string } }[] }).choices[0]?.delta
            .content === TEXT,
      ),
    ).toBe(true);
    expect(events.at(-2)).toMatch(/^: greenprint \{"eventId":"gw_/);
    expect(events.at(-1)).toBe('data: [DONE]');
    // The upstream was held back, not read into the gateway's memory as fast as it wrote.
    expect(stalled).toBeLessThan(EVENTS);
    expect(gateway.sink.events).toHaveLength(1);
    expect(gateway.sink.events[0]).toMatchObject({ inputTokens: 5, outputTokens: EVENTS });
  });
});
