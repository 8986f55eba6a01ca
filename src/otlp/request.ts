import { z } from 'zod';
import { GreenprintError } from '../core/index.js';

/** An OTLP `AnyValue` in the OTLP/JSON encoding (int64 may arrive as a string or a number). */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpSpan {
  /** 32 hex characters (OTLP/JSON encodes ids as hex, not base64). */
  traceId: string;
  /** 16 hex characters. */
  spanId: string;
  /** 16 hex characters, or empty/absent for a root span. */
  parentSpanId?: string;
  name?: string;
  kind?: number;
  /** Nanoseconds since the Unix epoch, as a decimal string (or a number). */
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
}

export interface OtlpScopeSpans {
  scope?: { name?: string; version?: string; attributes?: OtlpKeyValue[] };
  spans?: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}

/** The body of an OTLP/HTTP `POST /v1/traces` (ExportTraceServiceRequest) in its JSON shape. */
export interface OtlpTraceRequest {
  resourceSpans?: OtlpResourceSpans[];
}

const int64 = z.union([z.string().regex(/^-?\d+$/, 'must be a decimal integer'), z.number().int()]);
const nanos = z.union([z.string().regex(/^\d+$/, 'must be a decimal count of nanoseconds'), z.number()]);
const hexId = (chars: number, what: string) =>
  z
    .string()
    .regex(
      new RegExp(`^[0-9a-fA-F]{${chars}}$`),
      `must be ${chars} hex characters (OTLP/JSON encodes ${what} as hex, not base64)`,
    );

const anyValueSchema: z.ZodType<OtlpAnyValue> = z.lazy(() =>
  z.looseObject({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: int64.optional(),
    doubleValue: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).optional(),
    arrayValue: z.looseObject({ values: z.array(anyValueSchema).optional() }).optional(),
    kvlistValue: z.looseObject({ values: z.array(keyValueSchema).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);

const keyValueSchema: z.ZodType<OtlpKeyValue> = z.lazy(() =>
  z.looseObject({ key: z.string(), value: anyValueSchema.optional() }),
);

const attributesSchema = z.array(keyValueSchema).optional();

const spanSchema = z.looseObject({
  traceId: hexId(32, 'trace ids'),
  spanId: hexId(16, 'span ids'),
  parentSpanId: z.union([z.literal(''), hexId(16, 'span ids')]).optional(),
  name: z.string().optional(),
  kind: z.number().int().optional(),
  startTimeUnixNano: nanos.optional(),
  endTimeUnixNano: nanos.optional(),
  attributes: attributesSchema,
});

const requestSchema = z.looseObject({
  resourceSpans: z
    .array(
      z.looseObject({
        resource: z.looseObject({ attributes: attributesSchema }).optional(),
        scopeSpans: z
          .array(
            z.looseObject({
              scope: z
                .looseObject({
                  name: z.string().optional(),
                  version: z.string().optional(),
                  attributes: attributesSchema,
                })
                .optional(),
              spans: z.array(spanSchema).optional(),
              schemaUrl: z.string().optional(),
            }),
          )
          .optional(),
        schemaUrl: z.string().optional(),
      }),
    )
    .optional(),
});

/**
 * Validates an untrusted OTLP/JSON ExportTraceServiceRequest. Throws `invalid_input` listing each
 * problem with its path, e.g. `resourceSpans.0.scopeSpans.0.spans.3.traceId: must be 32 hex characters`.
 */
export function parseOtlpTraceRequest(input: unknown): OtlpTraceRequest {
  const result = requestSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const problems = issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const more = issues.length > problems.length ? ` (and ${issues.length - problems.length} more)` : '';
  throw new GreenprintError(
    'invalid_input',
    `Not an OTLP ExportTraceServiceRequest. ${problems.join('; ')}${more}. ` +
      'Send the OTLP/HTTP trace body (https://opentelemetry.io/docs/specs/otlp/#otlphttp).',
    { problems },
  );
}
