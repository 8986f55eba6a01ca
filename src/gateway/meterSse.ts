/** How a stream ended: upstream finished, upstream failed, or the client went away. */
export type StreamOutcome = 'done' | 'error' | 'cancel';

export interface SseHooks {
  /** Sees each `data:` payload that parses as JSON; answers false to keep that event from the client. */
  see(data: unknown, event: string | undefined): boolean;
  /**
   * Called once, at `data: [DONE]` or when the stream ends, fails or is cancelled; the text it returns
   * goes to the client just before `[DONE]` (or at the end). Ignored on cancel.
   */
  end(outcome: StreamOutcome): string;
  /** The event that tells the client the upstream failed mid-stream. */
  errorEvent(error: unknown): string;
}

/** A server-sent-events body metered on its way through; see `meterSse`. */
export interface SseMeter {
  /** What to send the client for this chunk of the upstream body: the events it completed, or ''. */
  write(chunk: Uint8Array): string;
  /** The upstream body ended: the rest, with the closing trailer. */
  end(): string;
  /** The upstream body failed: the error event and the trailer. */
  fail(error: unknown): string;
  /** The client went away: the hooks hear `end('cancel')`. */
  cancel(): void;
}

const LINE_END = /\r\n|\r|\n/;

/**
 * Passes a server-sent-events body through event by event, observing usage on the way. Each event
 * goes out as soon as its closing blank line arrives (it is the smallest unit a client can act on and
 * the smallest one that can be dropped); bytes are not otherwise held back, and events the hooks keep
 * leave unchanged. A failing upstream ends the client stream cleanly, after `errorEvent`; an event
 * left incomplete by the failure is dropped, since half a JSON payload would only break the client's
 * parser.
 */
export function meterSse(hooks: SseHooks): SseMeter {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Decoded text not yet split into lines. */
  let pending = '';
  /** Complete lines of the event being read, with their line ends. */
  let event = '';
  let ended = false;

  const end = (outcome: StreamOutcome): string => {
    if (ended) return '';
    ended = true;
    return hooks.end(outcome);
  };

  const dispatch = (raw: string): string => {
    if (ended) return raw;
    const data: string[] = [];
    let name: string | undefined;
    for (const line of raw.split(LINE_END)) {
      if (line.startsWith('data:')) data.push(fieldValue(line, 5));
      else if (line.startsWith('event:')) name = fieldValue(line, 6);
    }
    if (data.length === 0) return raw;
    const payload = data.join('\n');
    if (payload.trim() === '[DONE]') return end('done') + raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return raw;
    }
    return hooks.see(parsed, name) ? raw : '';
  };

  const take = (text: string, final = false): string => {
    pending += text;
    let out = '';
    for (;;) {
      const match = LINE_END.exec(pending);
      // A lone '\r' at the end may be the first half of '\r\n': wait for the next chunk.
      if (!match || (!final && match[0] === '\r' && match.index === pending.length - 1)) break;
      const lineEnd = match.index + match[0].length;
      event += pending.slice(0, lineEnd);
      pending = pending.slice(lineEnd);
      if (match.index === 0) {
        out += dispatch(event);
        event = '';
      }
    }
    return out;
  };

  return {
    write: (chunk) => take(decoder.decode(chunk, { stream: true })),
    end() {
      const out = take(decoder.decode(), true);
      // An unterminated last event is seen by the hooks and passes through as it came.
      const rest = event + pending;
      event = '';
      pending = '';
      const tail = rest ? dispatch(rest) : '';
      const trailer = end('done');
      const gap = tail && trailer ? (/[\r\n]$/.test(tail) ? '\n' : '\n\n') : '';
      return out + tail + gap + trailer;
    },
    fail(error) {
      event = '';
      pending = '';
      return ended ? '' : hooks.errorEvent(error) + end('error');
    },
    cancel() {
      end('cancel');
    },
  };
}

/** An SSE field's value: after the colon, without one leading space. */
function fieldValue(line: string, colon: number): string {
  return line.charCodeAt(colon) === 0x20 ? line.slice(colon + 1) : line.slice(colon);
}
