import { GatewayError } from './gatewayError.js';

/** Header values as node:http and undici carry them: lower-case names, repeated ones as arrays. */
export type AnswerHeaders = Record<string, string | string[]>;

/**
 * An answer to a call, as the gateway writes it to the client: from the upstream (see `callUpstream`),
 * or from a policy's Response (see `answerOfResponse`).
 */
export interface UpstreamAnswer {
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names; an upstream's own `x-greenprint-*` headers are already removed. */
  readonly headers: AnswerHeaders;
  /** Null when there is no body to read (a Response without one). */
  readonly body: AnswerBody | null;
}

/** Receives a body chunk by chunk. Calls stop after `end` or `error`. */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  /**
   * The body broke off (`upstream_timeout`, `upstream_interrupted`), or was cancelled because the
   * client went away (`client_closed_request`).
   */
  error(error: GatewayError): void;
}

/** A body that pushes its chunks as they arrive, with backpressure. */
export interface AnswerBody {
  /** Delivers the body to `sink`; chunks that arrived earlier are delivered at once. Call it once. */
  read(sink: BodySink): void;
  /** Holds back further chunks until `resume`. */
  pause(): void;
  resume(): void;
  /**
   * Lets go of the body: the upstream request is aborted, and a sink still reading hears
   * `error(client_closed_request)`. Nothing happens once the body has ended.
   */
  cancel(): void;
}

/** The whole body; rejects with the GatewayError that broke it off. */
export function readWhole(body: AnswerBody): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    body.read({
      data(chunk) {
        chunks.push(chunk);
        size += chunk.byteLength;
      },
      end() {
        const first = chunks[0];
        if (chunks.length === 1 && first instanceof Buffer) resolve(first);
        else resolve(Buffer.concat(chunks, size));
      },
      error: reject,
    });
  });
}

/** The error a client that went away leaves behind. */
export function clientGone(cause?: unknown): GatewayError {
  return new GatewayError(
    'client_closed_request',
    'The client closed the request before the upstream answered.',
    {
      cause,
    },
  );
}

/** Statuses whose responses have no body (a web Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The answer as a web Response, for the policies (cache, budgets, routes): the body is pulled chunk
 * by chunk from the answer's own, and cancelling it aborts the upstream request. A body that breaks
 * off errors the stream with its GatewayError.
 */
export function responseOfAnswer(answer: UpstreamAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const init = { status: answer.status, statusText: answer.statusText, headers };
  const body = answer.body;
  if (!body || NULL_BODY_STATUSES.has(answer.status)) {
    body?.cancel();
    return new Response(null, init);
  }
  return new Response(webStreamOf(body), init);
}

function webStreamOf(body: AnswerBody): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: GatewayError | undefined;
  let cancelled = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let started = false;
  const sink: BodySink = {
    data(chunk) {
      chunks.push(chunk);
      body.pause();
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    error(error) {
      failure = error;
      notify();
    },
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          body.read(sink);
        }
        for (;;) {
          if (cancelled) return;
          const chunk = chunks.shift();
          if (chunk) {
            controller.enqueue(chunk);
            return;
          }
          if (failure) return controller.error(failure);
          if (ended) return controller.close();
          await new Promise<void>((resolve) => {
            wake = resolve;
            body.resume();
          });
        }
      },
      cancel() {
        cancelled = true;
        body.cancel();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A policy's web Response as an answer the gateway writes to the client. A body that errors with a
 * GatewayError (the upstream's, passed through the policies) keeps it; any other failure is
 * `upstream_interrupted`.
 */
export function answerOfResponse(response: Response): UpstreamAnswer {
  const headers: AnswerHeaders = {};
  for (const [name, value] of response.headers) headers[name] = value;
  return {
    status: response.status,
    statusText: response.statusText,
    headers,
    body: response.body ? bodyOfStream(response.body) : null,
  };
}

function bodyOfStream(stream: ReadableStream<Uint8Array>): AnswerBody {
  const reader = stream.getReader();
  let sink: BodySink | undefined;
  let paused = false;
  let reading = false;
  let finished = false;
  const finish = () => {
    finished = true;
    sink = undefined;
  };
  const pump = async () => {
    if (reading) return;
    reading = true;
    try {
      while (sink && !paused && !finished) {
        const { done, value } = await reader.read();
        if (finished || !sink) return;
        if (done) {
          const s = sink;
          finish();
          s.end();
          return;
        }
        sink.data(value);
      }
    } catch (error) {
      if (finished || !sink) return;
      const s = sink;
      finish();
      s.error(bodyError(error));
    } finally {
      reading = false;
    }
  };
  return {
    read(s) {
      sink = s;
      void pump();
    },
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      void pump();
    },
    cancel() {
      if (finished) return;
      const s = sink;
      finish();
      reader.cancel().catch(() => {});
      s?.error(clientGone());
    },
  };
}

function bodyError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof GatewayError) return cause;
  return new GatewayError('upstream_interrupted', 'The upstream broke off its response. Retry the request.', {
    cause: error,
  });
}
