import type { OutgoingHttpHeaders } from 'node:http';

/**
 * What the gateway writes an answer to: node:http's ServerResponse, or a WebOutput. The few members
 * of ServerResponse the gateway uses.
 */
export interface ClientResponse {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  /** Answers false when the client is not keeping up: wait for 'drain'. */
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  flushHeaders(): void;
  /** Cuts the answer short. */
  destroy(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

/** Chunks a web caller may have unread before `write` asks the gateway to wait. */
const HIGH_WATER_CHUNKS = 16;

/**
 * A ClientResponse that becomes a web Response, for callers without a socket (`app.request`, the
 * Batch API's runner): `response` resolves once the status and headers are written; its body is the
 * chunks written after them. A caller that cancels the body counts as a client that went away.
 */
export class WebOutput implements ClientResponse {
  readonly response: Promise<Response>;
  headersSent = false;
  destroyed = false;
  private resolve!: (response: Response) => void;
  private head: { status: number; headers: Headers } | undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private drains: (() => void)[] = [];

  constructor(private readonly onCancel: () => void) {
    this.response = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): this {
    const web = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (Array.isArray(value)) for (const v of value) web.append(name, v);
      else if (value !== undefined) web.set(name, String(value));
    }
    this.head = { status, headers: web };
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    const controller = this.open();
    if (this.destroyed || !controller) return false;
    controller.enqueue(bytesOf(chunk));
    return (controller.desiredSize ?? 0) > 0;
  }

  end(chunk?: string | Uint8Array): this {
    if (this.destroyed) return this;
    if (!this.controller && this.head) {
      // Written whole: no stream needed.
      const body = chunk === undefined ? null : bytesOf(chunk);
      this.resolve(new Response(nullBodyStatus(this.head.status) ? null : body, this.head));
      this.destroyed = true;
      return this;
    }
    const controller = this.open();
    if (chunk !== undefined && chunk.length > 0) controller?.enqueue(bytesOf(chunk));
    controller?.close();
    this.destroyed = true;
    return this;
  }

  flushHeaders(): void {
    this.open();
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.controller?.error(new Error('The gateway cut the answer short.'));
    return this;
  }

  once(_event: 'drain', listener: () => void): this {
    this.drains.push(listener);
    return this;
  }

  /** The body stream, made and handed out with the status and headers on first use. */
  private open(): ReadableStreamDefaultController<Uint8Array> | undefined {
    if (this.controller || !this.head) return this.controller;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          const drains = this.drains;
          this.drains = [];
          for (const drain of drains) drain();
        },
        cancel: () => {
          this.destroyed = true;
          this.onCancel();
        },
      },
      new CountQueuingStrategy({ highWaterMark: HIGH_WATER_CHUNKS }),
    );
    this.resolve(new Response(stream, this.head));
    return this.controller;
  }
}

function bytesOf(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

function nullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}
