import protobuf from 'protobufjs/light.js';
import { GreenprintError } from '../core/index.js';
import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpTraceRequest,
} from './request.js';

/**
 * The parts of opentelemetry-proto (v1.x) an OTLP trace receiver needs, as a protobufjs JSON
 * descriptor. Field numbers are those of `opentelemetry/proto/{common,resource,trace}/v1/*.proto` and
 * `collector/trace/v1/trace_service.proto`; fields left out (events, links, status, flags,
 * dropped counts) are skipped on decode. Package names are dropped: they never reach the wire.
 */
const OTLP_TRACE_DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
          },
        },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            parentSpanId: { type: 'bytes', id: 4 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
          },
        },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: { rule: 'repeated', type: 'Span', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } },
        },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);
const requestType = root.lookupType('otlp.ExportTraceServiceRequest');
const responseType = root.lookupType('otlp.ExportTraceServiceResponse');

/** `ExportTraceServiceResponse.partial_success`; absent means every span was accepted. */
export interface OtlpPartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * Decodes a binary `ExportTraceServiceRequest` (OTLP/HTTP `application/x-protobuf`) into the OTLP/JSON
 * shape: ids become lower-case hex, fixed64 nanoseconds and int64 values decimal strings.
 * Throws `invalid_input` when the bytes are not such a message.
 */
export function decodeTraceRequest(body: Uint8Array): OtlpTraceRequest {
  let plain: Record<string, unknown>;
  try {
    plain = requestType.toObject(requestType.decode(body), { longs: String });
  } catch (error) {
    throw new GreenprintError(
      'invalid_input',
      `The body is not a protobuf ExportTraceServiceRequest (${(error as Error).message}). ` +
        'Send OTLP/HTTP binary protobuf with Content-Type: application/x-protobuf, or OTLP/JSON with application/json.',
      {},
      { cause: error },
    );
  }
  return { resourceSpans: list(plain.resourceSpans).map(toResourceSpans) };
}

/** Encodes an `ExportTraceServiceResponse`; an empty message when nothing was rejected. */
export function encodeTraceResponse(partialSuccess?: OtlpPartialSuccess): Uint8Array<ArrayBuffer> {
  const message = responseType.fromObject(partialSuccess ? { partialSuccess } : {});
  // A copy, so the bytes own a plain ArrayBuffer (protobufjs may hand out a view of a shared pool).
  return new Uint8Array(responseType.encode(message).finish());
}

function toResourceSpans(value: unknown): OtlpResourceSpans {
  const rs = record(value);
  const out: OtlpResourceSpans = { scopeSpans: list(rs.scopeSpans).map(toScopeSpans) };
  if (rs.resource !== undefined) out.resource = { attributes: toKeyValues(record(rs.resource).attributes) };
  return out;
}

function toScopeSpans(value: unknown): OtlpScopeSpans {
  const ss = record(value);
  const out: OtlpScopeSpans = { spans: list(ss.spans).map(toSpan) };
  if (ss.scope !== undefined) {
    const scope = record(ss.scope);
    out.scope = { attributes: toKeyValues(scope.attributes) };
    if (typeof scope.name === 'string') out.scope.name = scope.name;
    if (typeof scope.version === 'string') out.scope.version = scope.version;
  }
  return out;
}

function toSpan(value: unknown): OtlpSpan {
  const s = record(value);
  const span: OtlpSpan = {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    attributes: toKeyValues(s.attributes),
  };
  if (s.parentSpanId !== undefined) span.parentSpanId = hex(s.parentSpanId);
  if (typeof s.name === 'string') span.name = s.name;
  if (typeof s.kind === 'number') span.kind = s.kind;
  if (typeof s.startTimeUnixNano === 'string') span.startTimeUnixNano = s.startTimeUnixNano;
  if (typeof s.endTimeUnixNano === 'string') span.endTimeUnixNano = s.endTimeUnixNano;
  return span;
}

function toKeyValues(value: unknown): OtlpKeyValue[] {
  return list(value).map((item) => {
    const kv = record(item);
    const out: OtlpKeyValue = { key: typeof kv.key === 'string' ? kv.key : '' };
    if (kv.value !== undefined) out.value = toAnyValue(kv.value);
    return out;
  });
}

function toAnyValue(value: unknown): OtlpAnyValue {
  const v = record(value);
  if (typeof v.stringValue === 'string') return { stringValue: v.stringValue };
  if (typeof v.boolValue === 'boolean') return { boolValue: v.boolValue };
  if (typeof v.intValue === 'string' || typeof v.intValue === 'number') return { intValue: v.intValue };
  // proto3 JSON writes non-finite doubles as strings.
  if (typeof v.doubleValue === 'number') {
    return { doubleValue: Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue) };
  }
  if (v.arrayValue !== undefined)
    return { arrayValue: { values: list(record(v.arrayValue).values).map(toAnyValue) } };
  if (v.kvlistValue !== undefined)
    return { kvlistValue: { values: toKeyValues(record(v.kvlistValue).values) } };
  if (v.bytesValue instanceof Uint8Array) return { bytesValue: Buffer.from(v.bytesValue).toString('base64') };
  return {};
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function hex(value: unknown): string {
  return value instanceof Uint8Array
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')
    : '';
}
