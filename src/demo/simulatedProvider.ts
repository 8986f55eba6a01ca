import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local, keyless stand-in for an OpenAI-compatible provider, for the first-run demo: it answers
 * chat (streaming and not), embeddings, images, speech and transcriptions in OpenAI's shapes, with
 * usage that follows the request (prompt length, `max_tokens`, `n`, input characters) and varies
 * deterministically with its content. Its answers are placeholders; its usage is what the gateway
 * meters, exactly as it would a real provider's.
 */
export interface SimulatedProvider {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  close(): Promise<void>;
}

/** A 1×1 transparent PNG: what every simulated image looks like. */
const PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export async function startSimulatedProvider(): Promise<SimulatedProvider> {
  const server = createServer((req, res) => {
    void answer(req, res).catch((error: Error) => {
      if (!res.headersSent) json(res, 500, { error: { message: error.message, type: 'server_error' } });
      else res.destroy(error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const path = (req.url ?? '').split('?')[0];
  const type = req.headers['content-type'] ?? '';
  const body = type.startsWith('application/json')
    ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>)
    : {};
  const model = typeof body.model === 'string' ? body.model : 'simulated';
  const vary = variation(raw);
  switch (path) {
    case '/v1/chat/completions': {
      const prompt = Math.max(8, Math.round(JSON.stringify(body.messages ?? '').length / 4));
      const cap = Number(body.max_completion_tokens ?? body.max_tokens ?? 600);
      const completion = Math.max(16, Math.round(cap * (0.45 + 0.5 * vary)));
      const usage = {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      };
      const text = `[simulated ${model} answer, ${completion} tokens]`;
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const base = { id: 'chatcmpl-sim', object: 'chat.completion.chunk', created: 0, model };
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] })}\n\n`,
        );
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        );
        const options = body.stream_options as { include_usage?: boolean } | undefined;
        if (options?.include_usage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      return json(res, 200, {
        id: 'chatcmpl-sim',
        object: 'chat.completion',
        created: 0,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage,
      });
    }
    case '/v1/embeddings': {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const tokens = Math.max(1, Math.round(JSON.stringify(inputs).length / 4));
      return json(res, 200, {
        object: 'list',
        model,
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    case '/v1/images/generations': {
      const n = Math.max(1, Number(body.n ?? 1));
      return json(res, 200, { created: 0, data: Array.from({ length: n }, () => ({ b64_json: PIXEL_PNG })) });
    }
    case '/v1/audio/speech':
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(Buffer.alloc(2048));
      return;
    case '/v1/audio/transcriptions':
      // Multipart: the audio's length is not decoded; a simulated minute and a half, varied.
      return json(res, 200, {
        task: 'transcribe',
        language: 'english',
        duration: Math.round(60 + 60 * vary),
        text: '[simulated captions]',
      });
    default:
      return json(res, 404, {
        error: { message: `The simulated provider does not serve ${path}.`, type: 'invalid_request_error' },
      });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** 0…1 from the request bytes: the same request always gets the same usage. */
function variation(bytes: Buffer): number {
  return createHash('sha256').update(bytes).digest().readUInt32BE(0) / 0xffffffff;
}
