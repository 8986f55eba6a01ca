import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { GreenprintError } from '../core/index.js';
import { decodeTraceRequest, encodeTraceResponse, spansToEvents } from './index.js';

/**
 * Bytes written field by field with the numbers of opentelemetry-proto, independently of the
 * descriptor under test, so a wrong field number there fails here.
 */
type W = protobuf.Writer;
const bytesField = (w: W, field: number, hex: string) =>
  w.uint32((field << 3) | 2).bytes(Buffer.from(hex, 'hex'));
const stringField = (w: W, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
const message = (w: W, field: number, body: (w: W) => void) => {
  w.uint32((field << 3) | 2).fork();
  body(w);
  w.ldelim();
};
const keyValue = (w: W, field: number, key: string, value: (w: W) => void) =>
  message(w, field, (kv) => {
    stringField(kv, 1, key);
    message(kv, 2, value);
  });
const str = (s: string) => (w: W) => stringField(w, 1, s);
const int = (n: number) => (w: W) => w.uint32((3 << 3) | 0).int64(n);

function exportRequest(): Uint8Array {
  const w = protobuf.Writer.create();
  message(w, 1, (rs) => {
    message(rs, 1, (resource) => keyValue(resource, 1, 'service.name', str('proto-app')));
    message(rs, 2, (ss) => {
      message(ss, 1, (scope) => stringField(scope, 1, 'ai'));
      message(ss, 2, (span) => {
        bytesField(span, 1, '0af7651916cd43dd8448eb211c80319c');
        bytesField(span, 2, 'b7ad6b7169203331');
        bytesField(span, 4, '00f067aa0ba902b7');
        stringField(span, 5, 'ai.generateText.doGenerate');
        span.uint32((6 << 3) | 0).int32(3);
        span.uint32((7 << 3) | 1).fixed64('1700000000123456789');
        span.uint32((8 << 3) | 1).fixed64('1700000000623456789');
        keyValue(span, 9, 'ai.operationId', str('ai.generateText.doGenerate'));
        keyValue(span, 9, 'ai.model.provider', str('openai.chat'));
        keyValue(span, 9, 'ai.model.id', str('gpt-4o-mini'));
        keyValue(span, 9, 'ai.usage.inputTokens', int(42));
        keyValue(span, 9, 'ai.usage.outputTokens', int(17));
        keyValue(span, 9, 'ai.usage.cachedInputTokens', int(0));
        keyValue(span, 9, 'ai.settings.temperature', (v) => v.uint32((4 << 3) | 1).double(0.5));
        keyValue(span, 9, 'ai.settings.stream', (v) => v.uint32((2 << 3) | 0).bool(false));
        keyValue(span, 9, 'big', int(-(2 ** 62)));
        keyValue(span, 9, 'list', (v) =>
          message(v, 5, (arr) => {
            message(arr, 1, str('a'));
            message(arr, 1, int(2));
          }),
        );
        // Fields the receiver does not need (status = 15, flags = 16) are skipped.
        message(span, 15, (status) => status.uint32((3 << 3) | 0).int32(1));
        span.uint32((16 << 3) | 5).fixed32(0x301);
      });
    });
  });
  return w.finish();
}

describe('decodeTraceRequest', () => {
  it('decodes ids to lower-case hex, nanos and int64 to strings, keeps zero and negative ints', () => {
    const request = decodeTraceRequest(exportRequest());
    const span = request.resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0];
    expect(request.resourceSpans?.[0]?.resource?.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'proto-app' } },
    ]);
    expect(request.resourceSpans?.[0]?.scopeSpans?.[0]?.scope?.name).toBe('ai');
    expect(span).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      parentSpanId: '00f067aa0ba902b7',
      name: 'ai.generateText.doGenerate',
      kind: 3,
      startTimeUnixNano: '1700000000123456789',
      endTimeUnixNano: '1700000000623456789',
    });
    const attrs = Object.fromEntries((span?.attributes ?? []).map((kv) => [kv.key, kv.value]));
    expect(attrs['ai.usage.inputTokens']).toEqual({ intValue: '42' });
    expect(attrs['ai.usage.cachedInputTokens']).toEqual({ intValue: '0' });
    expect(attrs['ai.settings.temperature']).toEqual({ doubleValue: 0.5 });
    expect(attrs['ai.settings.stream']).toEqual({ boolValue: false });
    expect(attrs.big).toEqual({ intValue: '-4611686018427387904' });
    expect(attrs.list).toEqual({ arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } });
  });

  it('feeds spansToEvents like the JSON encoding does', () => {
    const { events } = spansToEvents(decodeTraceRequest(exportRequest()));
    expect(events).toEqual([
      {
        id: 'otel_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331',
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o-mini',
        inputTokens: 42,
        outputTokens: 17,
        cachedInputTokens: 0,
        startTime: '2023-11-14T22:13:20.123Z',
        durationMs: 500,
        project: 'proto-app',
      },
    ]);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeTraceRequest(new Uint8Array())).toEqual({ resourceSpans: [] });
  });

  it('rejects bytes that are not a protobuf message with invalid_input', () => {
    const bad = () => decodeTraceRequest(Buffer.from('{"resourceSpans":[]}'));
    expect(bad).toThrow(GreenprintError);
    expect(bad).toThrow(/not a protobuf ExportTraceServiceRequest/);
  });
});

describe('encodeTraceResponse', () => {
  it('is empty when nothing was rejected', () => {
    expect(encodeTraceResponse()).toHaveLength(0);
  });

  it('writes partial_success (1) with rejected_spans (1) and error_message (2)', () => {
    const reader = protobuf.Reader.create(
      encodeTraceResponse({ rejectedSpans: 2, errorMessage: 'unknown model' }),
    );
    expect(reader.uint32()).toBe((1 << 3) | 2);
    const inner = protobuf.Reader.create(reader.bytes());
    expect(inner.uint32()).toBe((1 << 3) | 0);
    expect(Number(inner.int64())).toBe(2);
    expect(inner.uint32()).toBe((2 << 3) | 2);
    expect(inner.string()).toBe('unknown model');
    expect(inner.pos).toBe(inner.len);
  });
});
