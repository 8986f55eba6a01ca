import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { UsageEvent } from '../core/index.js';
import { newEventId, type RecordFn } from '../ledger/index.js';

/** Where the gateway hands accepted events; the request never waits for the ledger. */
export interface EventSink {
  /**
   * Accepts an event (assigning a time-ordered id when it has none) and returns its id; throws when
   * it cannot accept it. An accepted event must reach the ledger, after a crash too (see SpoolingSink
   * for how durable "accepted" is).
   */
  enqueue(event: UsageEvent): string;
  /** Records everything accepted so far, or leaves it spooled when the ledger is down. */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}

export interface SinkStats {
  accepted: number;
  recorded: number;
  /** Events in the spool not yet confirmed by the ledger. */
  pending: number;
  ledgerUp: boolean;
  lastError: string | null;
}

export interface SpoolingSinkOptions {
  record: RecordFn;
  /** Append-only JSONL file; `<spool>.offset` holds how much of it the ledger has confirmed. */
  spoolPath: string;
  /** Events per ledger write (default 1000). */
  batchSize?: number;
  /**
   * How often queued events are written, ms (default 1000). On a 2-core machine SQLite took ~5 ms
   * for a batch of 200 gateway events (25 µs each), ~12 ms for 1,000 (12 µs each): fewer, larger
   * batches cost half the CPU, and block the event loop less often when `record` runs on it (see
   * `startLedgerThread` for a record that does not). The ledger lags by up to this long.
   */
  intervalMs?: number;
  /** A ledger write slower than this counts as failed and is retried from the spool, ms (default 5000). */
  timeoutMs?: number;
  /** Rotate the spool when everything in it is recorded and it is larger than this (default 64 MiB). */
  rotateBytes?: number;
  now?: () => number;
  onError?: (error: Error) => void;
}

/**
 * Write-ahead spool in front of the ledger. Every accepted event is appended to the spool file
 * before it is queued; batches go to the ledger in the background; the confirmed offset advances
 * only after the ledger has stored a batch. After a crash or while the ledger is down, the events
 * past the offset are replayed from the file — the ledger skips ids it already has, so a replay never
 * counts twice, and nothing accepted is lost.
 *
 * "Accepted" is when `enqueue` returns. The spool line is written at the end of that event-loop turn
 * (one write for every event accepted in the turn, off the response's path), and at the latest when
 * the process exits — normally, by `process.exit` or by an uncaught exception — or when `flush` or
 * `close` is called. Only a process killed outright (SIGKILL, out of memory, power) within the turn
 * that accepted an event loses it: the same window in which the answer it meters was still being
 * written to the client. Like before, lines reach the OS, not the disk (no fsync).
 */
export class SpoolingSink implements EventSink {
  private readonly o: Required<Omit<SpoolingSinkOptions, 'onError'>> & Pick<SpoolingSinkOptions, 'onError'>;
  private fd: number;
  /** Byte offset up to which the ledger has confirmed every event. */
  private confirmed: number;
  /** Bytes written to the spool so far. */
  private written: number;
  /** Events in memory waiting for the ledger, with the spool offset just past each. */
  private queue: { event: UsageEvent; end: number }[] = [];
  /** True while the memory queue does not hold everything past `confirmed` (after a failure or restart). */
  private replayNeeded: boolean;
  /** Accepted events whose lines are not in the spool yet (written at the end of the turn). */
  private unwritten: UsageEvent[] = [];
  private closed = false;
  private fdClosed = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly counts = { accepted: 0, recorded: 0 };
  private ledgerUp = true;
  private lastError: string | null = null;

  constructor(options: SpoolingSinkOptions) {
    this.o = {
      batchSize: 1000,
      intervalMs: 1000,
      timeoutMs: 5000,
      rotateBytes: 64 * 2 ** 20,
      now: Date.now,
      ...options,
    };
    mkdirSync(dirname(this.o.spoolPath), { recursive: true });
    this.fd = openSync(this.o.spoolPath, 'a+');
    this.written = fstatSync(this.fd).size;
    if (this.written > 0 && !this.endsWithNewline()) {
      // A crash mid-append left a torn last line: end it so the next event starts on a line of its own.
      this.written += writeSync(this.fd, '\n');
    }
    this.confirmed = Math.min(this.readOffset(), this.written);
    this.replayNeeded = this.confirmed < this.written;
    this.timer = setInterval(() => void this.flush(), this.o.intervalMs);
    this.timer.unref();
  }

  enqueue(event: UsageEvent): string {
    if (this.closed) throw new Error(`The spool ${this.o.spoolPath} is closed; the event was not accepted.`);
    const id = event.id ?? newEventId(this.o.now(), 'gw');
    this.unwritten.push(event.id ? event : { ...event, id });
    this.counts.accepted++;
    if (this.unwritten.length === 1) {
      setImmediate(this.writeOut);
      unwrittenSpools.add(this.writeOut);
    }
    return id;
  }

  flush(): Promise<void> {
    this.writeOut();
    // One writer at a time; a flush requested meanwhile runs after it.
    this.running = (this.running ?? Promise.resolve()).then(() => this.drain());
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.closed = true;
    await this.flush();
    unwrittenSpools.delete(this.writeOut);
    this.fdClosed = true;
    closeSync(this.fd);
  }

  stats(): SinkStats {
    const queued = this.replayNeeded ? this.countPending() : this.queue.length;
    return {
      accepted: this.counts.accepted,
      recorded: this.counts.recorded,
      pending: queued + this.unwritten.length,
      ledgerUp: this.ledgerUp,
      lastError: this.lastError,
    };
  }

  /**
   * Appends the lines of the events accepted since the last call, in one write, and queues them for
   * the ledger. A failed write (disk full) keeps them for the next call and is reported.
   */
  private readonly writeOut = (): void => {
    const events = this.unwritten;
    if (events.length === 0 || this.fdClosed) return;
    const ends: number[] = [];
    let text = '';
    let end = this.written;
    for (const event of events) {
      const line = `${JSON.stringify(event)}\n`;
      text += line;
      end += Buffer.byteLength(line);
      ends.push(end);
    }
    try {
      writeFully(this.fd, Buffer.from(text));
    } catch (error) {
      // A partial write may have torn the last line: end it, so the next lines start on their own.
      this.written = fstatSync(this.fd).size;
      if (this.written > 0 && !this.endsWithNewline()) this.written += writeSync(this.fd, '\n');
      this.o.onError?.(
        new Error(`${events.length} events could not be written to ${this.o.spoolPath}; retrying.`, {
          cause: error,
        }),
      );
      return;
    }
    this.unwritten = [];
    unwrittenSpools.delete(this.writeOut);
    this.written = end;
    if (!this.replayNeeded) {
      for (let i = 0; i < events.length; i++) {
        this.queue.push({ event: events[i] as UsageEvent, end: ends[i] as number });
      }
    }
    if (this.queue.length >= this.o.batchSize) void this.flush();
  };

  private async drain(): Promise<void> {
    try {
      if (this.replayNeeded) await this.replay();
      while (!this.replayNeeded && this.queue.length > 0) {
        const batch = this.queue.slice(0, this.o.batchSize);
        await this.write(batch.map((b) => b.event));
        this.queue.splice(0, batch.length);
        this.confirm((batch[batch.length - 1] as { end: number }).end);
      }
      this.ledgerUp = true;
      this.lastError = null;
      this.maybeRotate();
    } catch (error) {
      // The events stay in the spool; the next flush replays them from the confirmed offset.
      this.ledgerUp = false;
      this.lastError = (error as Error).message;
      this.queue = [];
      this.replayNeeded = true;
      this.o.onError?.(error as Error);
    }
  }

  /** Re-reads the spool past the confirmed offset and records it, batch by batch. */
  private async replay(): Promise<void> {
    for (;;) {
      const { events, end } = this.readBatch(this.confirmed);
      if (events.length === 0) {
        this.confirm(end);
        break;
      }
      await this.write(events);
      this.confirm(end);
    }
    // Caught up: from now on the memory queue holds everything past the offset.
    this.replayNeeded = this.confirmed < this.written;
  }

  private async write(events: UsageEvent[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`ledger write took longer than ${this.o.timeoutMs} ms`)),
        this.o.timeoutMs,
      );
    });
    try {
      const result = await Promise.race([this.o.record(events), timeout]);
      // Rejected events (unknown model…) are final: they are reported, not retried forever.
      this.counts.recorded += result.inserted + result.duplicates;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Up to one batch of complete lines from `offset`; `end` is the offset after them. */
  private readBatch(offset: number): { events: UsageEvent[]; end: number } {
    const events: UsageEvent[] = [];
    let pos = offset;
    while (events.length < this.o.batchSize && pos < this.written) {
      const size = Math.min(4 << 20, this.written - pos);
      const buf = Buffer.alloc(size);
      const n = readSync(this.fd, buf, 0, size, pos);
      let start = 0;
      for (let i = 0; i < n && events.length < this.o.batchSize; i++) {
        if (buf[i] !== 10) continue;
        const line = buf.toString('utf8', start, i);
        start = i + 1;
        try {
          if (line.trim()) events.push(JSON.parse(line) as UsageEvent);
        } catch {
          // A line torn by a crash mid-write: its request was never answered, so nothing is lost.
        }
      }
      if (start === 0) {
        // No line end in a whole read: a line this long cannot be an event (one is a few hundred
        // bytes). Skip past it rather than stall the replay on it; a short tail just waits for more.
        if (n < size) break;
        pos = this.afterNextNewline(pos + n);
        continue;
      }
      pos += start;
    }
    return { events, end: pos };
  }

  /** The offset just past the next line end at or after `from`, or the end of what was written. */
  private afterNextNewline(from: number): number {
    const buf = Buffer.alloc(1 << 20);
    for (let pos = from; pos < this.written; ) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, this.written - pos), pos);
      if (n <= 0) break;
      const at = buf.subarray(0, n).indexOf(10);
      if (at >= 0) return pos + at + 1;
      pos += n;
    }
    return this.written;
  }

  private countPending(): number {
    let n = 0;
    const buf = Buffer.alloc(1 << 20);
    for (let pos = this.confirmed; pos < this.written; ) {
      const r = readSync(this.fd, buf, 0, Math.min(buf.length, this.written - pos), pos);
      if (r <= 0) break;
      for (let i = 0; i < r; i++) if (buf[i] === 10) n++;
      pos += r;
    }
    return n;
  }

  private endsWithNewline(): boolean {
    const last = Buffer.alloc(1);
    readSync(this.fd, last, 0, 1, this.written - 1);
    return last[0] === 10;
  }

  private confirm(offset: number): void {
    this.confirmed = offset;
    writeFileSync(`${this.o.spoolPath}.offset`, String(offset));
  }

  private readOffset(): number {
    const file = `${this.o.spoolPath}.offset`;
    if (!existsSync(file)) return 0;
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) && n >= 0 ? n : 0;
  }

  /** Starts a new spool file once everything in the old one is in the ledger. */
  private maybeRotate(): void {
    if (this.confirmed !== this.written || this.written < this.o.rotateBytes) return;
    closeSync(this.fd);
    this.fd = openSync(this.o.spoolPath, 'w+');
    this.written = 0;
    this.confirm(0);
  }
}

/** `bytes` appended to `fd`, however many writes it takes. */
function writeFully(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

/**
 * The pending writes of every open spool, run if the process exits before their turn ends. One set
 * and one 'exit' listener per process, however many times this module is loaded.
 */
const unwrittenSpools: Set<() => void> = (() => {
  const key = Symbol.for('greenprint.unwrittenSpools');
  const holder = globalThis as { [key]?: Set<() => void> };
  let spools = holder[key];
  if (!spools) {
    const created = new Set<() => void>();
    process.on('exit', () => {
      for (const writeOut of created) writeOut();
    });
    holder[key] = created;
    spools = created;
  }
  return spools;
})();
