import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs/light.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './fixtures/receiver.js';
import type { OtlpTraceRequest } from './index.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function chatSpan(spanId: string, model: string) {
  return {
    traceId: TRACE,
    spanId,
    name: `chat ${model}`,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000100000000',
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: model } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '10' } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: 5 } },
    ],
  };
}

const httpSpan = {
  traceId: TRACE,
  spanId: '00000000000000ff',
  name: 'GET /',
  attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
};

function body(spans: unknown[]): OtlpTraceRequest {
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] } as OtlpTraceRequest;
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function post(
  r: Receiver,
  data: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const res = await fetch(r.url, { method: 'POST', headers, body: data });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

describe('POST /v1/traces: success', () => {
  it('records GenAI spans, ignores the others, answers {}', async () => {
    receiver = await startReceiver();
    const res = await post(
      receiver,
      JSON.stringify(body([chatSpan('0000000000000001', 'gpt-4o'), httpSpan])),
    );
    expect(res).toMatchObject({ status: 200, text: '{}' });
    expect(res.type).toMatch(/^application\/json/);
    expect(receiver.batches).toHaveLength(1);
    expect(receiver.batches[0]).toMatchObject([
      { id: `otel_${TRACE}_0000000000000001`, requestModel: 'gpt-4o', inputTokens: 10, outputTokens: 5 },
    ]);
  });

  it('does not call record when no span carries GenAI usage', async () => {
    receiver = await startReceiver();
    const res = await post(receiver, JSON.stringify(body([httpSpan])));
    expect(res).toMatchObject({ status: 200, text: '{}' });
    expect(receiver.batches).toEqual([]);
  });

  it('accepts gzip and a charset parameter', async () => {
    receiver = await startReceiver();
    const res = await post(
      receiver,
      gzipSync(JSON.stringify(body([chatSpan('0000000000000002', 'gpt-4o')]))),
      {
        'content-type': 'application/json; charset=utf-8',
        'content-encoding': 'gzip',
      },
    );
    expect(res.status).toBe(200);
    expect(receiver.batches.flat()).toHaveLength(1);
  });

  it('reports the spans record rejected as partialSuccess (JSON)', async () => {
    receiver = await startReceiver({
      decide: (events) => ({
        inserted: events.length - 1,
        duplicates: 0,
        rejected: [{ index: 1, code: 'unknown_model', reason: 'Unknown model gpt-9; did you mean gpt-4o?' }],
      }),
    });
    const res = await post(
      receiver,
      JSON.stringify(body([chatSpan('0000000000000003', 'gpt-4o'), chatSpan('0000000000000004', 'gpt-9')])),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: `1 of 2 GenAI spans were not recorded: otel_${TRACE}_0000000000000004 (gpt-9): unknown_model: Unknown model gpt-9; did you mean gpt-4o?`,
      },
    });
  });

  it('answers a protobuf request in protobuf, with partial_success', async () => {
    receiver = await startReceiver({
      decide: () => ({
        inserted: 0,
        duplicates: 0,
        rejected: [{ index: 0, code: 'unknown_model', reason: 'no' }],
      }),
    });
    const w = protobuf.Writer.create();
    // ExportTraceServiceRequest{resource_spans{scope_spans{spans{…}}}} written by field number.
    w.uint32(10).fork().uint32(18).fork().uint32(18).fork();
    w.uint32(10).bytes(Buffer.from(TRACE, 'hex')).uint32(18).bytes(Buffer.from('0000000000000005', 'hex'));
    for (const [key, value] of [
      ['gen_ai.request.model', 'gpt-9'],
      ['gen_ai.usage.input_tokens', 7],
    ] as const) {
      w.uint32(74).fork().uint32(10).string(key).uint32(18).fork();
      if (typeof value === 'string') w.uint32(10).string(value);
      else w.uint32(24).int64(value);
      w.ldelim().ldelim();
    }
    w.ldelim().ldelim().ldelim();
    const res = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: w.finish(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const reply = protobuf.Reader.create(new Uint8Array(await res.arrayBuffer()));
    expect(reply.uint32()).toBe(10);
    const partial = protobuf.Reader.create(reply.bytes());
    expect(partial.uint32()).toBe(8);
    expect(Number(partial.int64())).toBe(1);
    expect(receiver.batches.flat()).toMatchObject([{ requestModel: 'gpt-9', inputTokens: 7 }]);
  });
});

describe('POST /v1/traces: bad input', () => {
  it('malformed JSON → 400 invalid_input', async () => {
    receiver = await startReceiver();
    const res = await post(receiver, '{"resourceSpans": [');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { code: 'invalid_input', message: /not valid JSON/ },
    });
  });

  it('JSON of the wrong shape → 400 naming the field', async () => {
    receiver = await startReceiver();
    const res = await post(
      receiver,
      JSON.stringify(
        body([{ ...chatSpan('0000000000000001', 'gpt-4o'), traceId: 'CvdlGRbNQ92ESOshHIAxnA==' }]),
      ),
    );
    expect(res.status).toBe(400);
    const { error } = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('resourceSpans.0.scopeSpans.0.spans.0.traceId');
    expect(error.message).toContain('not base64');
    expect(receiver.batches).toEqual([]);
  });

  it('a protobuf body that does not decode → 400', async () => {
    receiver = await startReceiver();
    const res = await post(receiver, new Uint8Array([0x0a, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'invalid_input' } });
  });

  it('gzip header on a plain body → 400', async () => {
    receiver = await startReceiver();
    const res = await post(receiver, JSON.stringify(body([])), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('does not gunzip');
  });

  it('wrong content type → 415; unsupported encoding → 415', async () => {
    receiver = await startReceiver();
    const text = await post(receiver, 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(JSON.parse(text.text)).toMatchObject({
      error: { code: 'unsupported_media_type', message: /text\/plain/ },
    });
    const br = await post(receiver, JSON.stringify(body([])), {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    expect(br.status).toBe(415);
  });

  it('body over the limit → 413, on the wire and after gunzip', async () => {
    receiver = await startReceiver({ maxBodyBytes: 4096 });
    const big = JSON.stringify(body([chatSpan('0000000000000001', 'x'.repeat(5000))]));
    const plain = await post(receiver, big);
    expect(plain.status).toBe(413);
    expect(JSON.parse(plain.text)).toMatchObject({
      error: { code: 'payload_too_large', message: /4096 bytes/ },
    });
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(4096);
    const bomb = await post(receiver, zipped, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(bomb.status).toBe(413);
    // Without Content-Length (chunked), the limit applies while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++)
          controller.enqueue(new TextEncoder().encode(big.slice(i * 2000, (i + 1) * 2000)));
        controller.close();
      },
    });
    const chunked = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(receiver.batches).toEqual([]);
  });

  it('record throwing → 503 so the exporter retries', async () => {
    receiver = await startReceiver({
      record: async () => {
        throw new Error('database is locked');
      },
    });
    const res = await post(receiver, JSON.stringify(body([chatSpan('0000000000000001', 'gpt-4o')])));
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { code: 'ledger_unavailable', message: /database is locked/ },
    });
  });

  it('only POST /v1/traces is served', async () => {
    receiver = await startReceiver();
    const res = await fetch(receiver.url, { method: 'GET' });
    expect(res.status).toBe(404);
  });
});
