import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, GreenprintError, HTTP_STATUS_BY_CODE, type UsageEvent } from '../core/index.js';
import type { RecordFn, RecordResult } from '../ledger/index.js';
import { decodeTraceRequest, encodeTraceResponse, type OtlpPartialSuccess } from './protobuf.js';
import { type OtlpTraceRequest, parseOtlpTraceRequest } from './request.js';
import { spansToEvents } from './spansToEvents.js';

/** 16 MiB, on the wire and again after gunzip. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface OtlpRoutesOptions {
  /** Stores the events; `rejected` ones are reported back as rejected spans, a throw answers 503. */
  record: RecordFn;
  /** Largest accepted body in bytes, compressed and decompressed; default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * The project every event of a request is recorded under, from the caller's key (set when the
   * server listens beyond loopback): a key can then only write into its own project.
   */
  projectOf?: (c: Context) => string | undefined;
}

type OtlpFormat = 'json' | 'protobuf';

const FORMAT_BY_MEDIA_TYPE: ReadonlyMap<string, OtlpFormat> = new Map([
  ['application/json', 'json'],
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
]);

/**
 * Stable codes for failures of the transport itself (HTTPException statuses). 503 is retryable in
 * OTLP/HTTP, so an exporter resends the batch when the ledger is down.
 */
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_input',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'ledger_unavailable',
};

const gunzipAsync = promisify(gunzip);

/**
 * An OTLP/HTTP trace receiver: `POST /v1/traces` with an ExportTraceServiceRequest as OTLP/JSON
 * (`application/json`) or binary protobuf (`application/x-protobuf`), optionally
 * `Content-Encoding: gzip`. GenAI spans become usage events (see `spansToEvents`) handed to `record`;
 * other spans are ignored. The 200 answer is an ExportTraceServiceResponse in the request's encoding,
 * with `partialSuccess.rejectedSpans` counting the events `record` rejected.
 */
export function otlpRoutes(options: OtlpRoutesOptions): Hono {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono();
  app.onError(renderError);
  app.post(
    '/v1/traces',
    requireOtlpContent(),
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw tooLarge(maxBodyBytes);
      },
    }),
    async function exportTraces(c) {
      const format = formatOf(c) ?? 'json';
      const body = await readBody(c, maxBodyBytes);
      const request = format === 'json' ? parseJson(body) : decodeTraceRequest(body);
      const { events } = spansToEvents(parseOtlpTraceRequest(request));
      const project = options.projectOf?.(c);
      if (project !== undefined) for (const event of events) event.project = project;
      const partial =
        events.length > 0 ? partialSuccess(events, await recordOrRetry(options.record, events)) : undefined;
      if (format === 'protobuf') {
        return c.body(encodeTraceResponse(partial), 200, { 'Content-Type': 'application/x-protobuf' });
      }
      return c.json(partial ? { partialSuccess: partial } : {});
    },
  );
  return app;
}

/** Rejects, before the body is read, what this receiver cannot decode. */
function requireOtlpContent(): MiddlewareHandler {
  return async function requireOtlpContent(c, next) {
    if (!formatOf(c)) {
      const given = c.req.header('content-type') ?? '(none)';
      throw new HTTPException(415, {
        message: `Content-Type ${given} is not supported. Send OTLP/HTTP as application/x-protobuf or application/json.`,
      });
    }
    const encoding = c.req.header('content-encoding')?.trim().toLowerCase();
    if (encoding && encoding !== 'gzip' && encoding !== 'identity') {
      throw new HTTPException(415, {
        message: `Content-Encoding ${encoding} is not supported. Send the body uncompressed or gzip-compressed.`,
      });
    }
    await next();
  };
}

function formatOf(c: Context): OtlpFormat | undefined {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return mediaType ? FORMAT_BY_MEDIA_TYPE.get(mediaType) : undefined;
}

async function readBody(c: Context, maxBodyBytes: number): Promise<Uint8Array> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (c.req.header('content-encoding')?.trim().toLowerCase() !== 'gzip') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBodyBytes, error);
    throw new HTTPException(400, {
      message: `Content-Encoding is gzip but the body does not gunzip (${(error as Error).message}). Compress the body with gzip or drop the header.`,
      cause: error,
    });
  }
}

function parseJson(body: Uint8Array): OtlpTraceRequest {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as OtlpTraceRequest;
  } catch (error) {
    throw new HTTPException(400, {
      message: `The body is not valid JSON (${(error as Error).message}). Send an OTLP/JSON ExportTraceServiceRequest.`,
      cause: error,
    });
  }
}

async function recordOrRetry(record: RecordFn, events: UsageEvent[]): Promise<RecordResult> {
  try {
    return await record(events);
  } catch (error) {
    throw new HTTPException(503, {
      message: `The usage events could not be recorded (${(error as Error).message}); nothing was stored. The exporter should retry; check that the ledger is reachable.`,
      cause: error,
    });
  }
}

/** `partialSuccess` naming the first few rejected events; undefined when none was rejected. */
function partialSuccess(events: UsageEvent[], result: RecordResult): OtlpPartialSuccess | undefined {
  const rejected = result.rejected;
  if (rejected.length === 0) return undefined;
  const shown = rejected.slice(0, 5).map((r) => {
    const event = events[r.index];
    return `${r.id ?? event?.id ?? `#${r.index}`} (${event?.requestModel ?? 'unknown model'}): ${r.code}: ${r.reason}`;
  });
  const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
  return {
    rejectedSpans: rejected.length,
    errorMessage: `${rejected.length} of ${events.length} GenAI spans were not recorded: ${shown.join('; ')}${more}`,
  };
}

function tooLarge(maxBodyBytes: number, cause?: unknown): HTTPException {
  return new HTTPException(413, {
    message: `The body is larger than ${maxBodyBytes} bytes. Export smaller batches (BatchSpanProcessor maxExportBatchSize) or raise maxBodyBytes.`,
    cause,
  });
}

function renderError(error: Error, c: Context): Response {
  if (error instanceof GreenprintError) {
    const status = HTTP_STATUS_BY_CODE[error.code] as ContentfulStatusCode;
    return c.json({ error: { code: error.code, message: error.message } }, status);
  }
  if (error instanceof HTTPException) {
    const code = CODE_BY_STATUS[error.status] ?? 'invalid_input';
    return c.json({ error: { code, message: error.message } }, error.status);
  }
  console.error(error);
  return c.json(
    {
      error: {
        code: 'internal_error',
        message: 'The OTLP receiver failed unexpectedly; see the server log.',
      },
    },
    500,
  );
}
