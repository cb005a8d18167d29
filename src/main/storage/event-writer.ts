// Buffers one session's events and writes them in batches: one transaction per batch, never
// one per event, so a fast import costs a few hundred commits, not hundreds of thousands.
// A failed write is thrown (and kept, and thrown again): code that pushes from the engine's
// callbacks, where nothing would catch it, goes through the SessionService's EventSink.
import type { ApiResponse } from '../../shared/api';
import type { SessionStore } from './session-store';

export interface EventWriterOptions {
  /** Events per transaction. Default 256. */
  batchSize?: number;
  /** How long an event may wait in the buffer. Default 250 ms. */
  flushAfterMs?: number;
  /**
   * Called when a flush started by the timer fails. The error is also kept: the next push(),
   * flush() or close() throws it, since the events it could not write are lost.
   */
  onError?: (error: unknown) => void;
}

export class EventWriter {
  private readonly batchSize: number;
  private readonly flushAfterMs: number;
  private readonly onError: (error: unknown) => void;
  private buffer: ApiResponse[] = [];
  private nextSeq: number;
  private timer: NodeJS.Timeout | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(
    private readonly store: SessionStore,
    private readonly sessionId: string,
    options: EventWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 256;
    this.flushAfterMs = options.flushAfterMs ?? 250;
    this.onError = options.onError ?? (() => undefined);
    // Carries on after the events already stored, e.g. when a session is resumed.
    this.nextSeq = store.nextEventSeq(sessionId);
  }

  /** Buffers the event; writes the batch now if it is full. Throws an earlier write's error. */
  push(event: ApiResponse): void {
    this.throwIfUnusable();
    this.buffer.push(event);
    if (this.buffer.length >= this.batchSize) {
      this.flush();
    } else if (!this.timer) {
      // unref: a pending flush must not keep a process alive; close() writes what is left.
      this.timer = setTimeout(() => this.flushFromTimer(), this.flushAfterMs).unref();
    }
  }

  /** Writes the buffered events in one transaction. */
  flush(): void {
    if (this.failure) throw this.failure.error;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.store.appendEvents(this.sessionId, batch, this.nextSeq);
    } catch (error) {
      this.failure = { error };
      throw error;
    }
    this.nextSeq += batch.length;
  }

  /** Writes what is buffered; the writer takes no more events. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
  }

  private flushFromTimer(): void {
    try {
      this.flush();
    } catch (error) {
      this.onError(error);
    }
  }

  private throwIfUnusable(): void {
    if (this.failure) throw this.failure.error;
    if (this.closed) throw new Error(`The event writer of session ${this.sessionId} is closed`);
  }
}
