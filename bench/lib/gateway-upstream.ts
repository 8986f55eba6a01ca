/**
 * The fake OpenAI upstream of bench/gateway.ts, in a process of its own (its CPU is not the
 * gateway's): POST /v1/chat/completions answers a fixed small completion with usage, or, with
 * `stream: true`, an SSE stream whose first chunk goes out at once and the rest after
 * GP_BENCH_STREAM_DELAY_MS (usage chunk when `stream_options.include_usage`, then [DONE]).
 * Sends `{ type: 'ready', port }` over IPC; exits when its parent goes.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DELAY_MS = Number(process.env.GP_BENCH_STREAM_DELAY_MS ?? 10);
const MODEL = 'gpt-4o-mini-2024-07-18';
const USAGE = {
  prompt_tokens: 42,
  completion_tokens: 17,
  total_tokens: 59,
  prompt_tokens_details: { cached_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

const JSON_BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.' }, finish_reason: 'stop' }],
    usage: USAGE,
  }),
);
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(JSON_BODY.length) };

const chunk = (choices: unknown[], usage: unknown) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: MODEL, choices, usage })}\n\n`;
const FIRST = chunk(
  [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }],
  null,
);
const REST = chunk([{ index: 0, delta: { content: ' there.' }, finish_reason: 'stop' }], null);
const USAGE_CHUNK = chunk([], USAGE);
const DONE = 'data: [DONE]\n\n';
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

function stream(res: ServerResponse, includeUsage: boolean): void {
  res.writeHead(200, SSE_HEADERS);
  res.write(FIRST);
  setTimeout(() => {
    res.write(REST);
    if (includeUsage) res.write(USAGE_CHUNK);
    res.end(DONE);
  }, DELAY_MS);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    let json: { stream?: boolean; stream_options?: { include_usage?: boolean } };
    try {
      json = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"body is not JSON","type":"invalid_request_error"}}');
      return;
    }
    if (json.stream === true) {
      stream(res, json.stream_options?.include_usage === true);
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(JSON_BODY);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
