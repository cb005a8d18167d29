// What the server has sent a WebSocket client and the client has not yet taken: bounded. A client
// that stops reading (a frozen tab, a paused process, a dead network) would otherwise have every
// message for it kept in the server's memory, without end.
import { WebSocket } from 'ws';

export interface OutgoingLimits {
  /** Bytes waiting for the client (queued in the server, not yet taken by its connection). */
  maxBytes: number;
  /** How long the oldest message may wait before the client counts as gone. */
  maxDelayMs: number;
}

export const OUTGOING_LIMITS: OutgoingLimits = { maxBytes: 8 * 2 ** 20, maxDelayMs: 10_000 };

/** Close code for a client that fell too far behind: a policy violation (RFC 6455, 7.4.1). */
export const LAGGING_CLOSE_CODE = 1008;

/** About what a message waiting in ws and the socket costs besides its bytes. */
const MESSAGE_OVERHEAD_BYTES = 256;

const describeBytes = (bytes: number) => (bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MB` : `${Math.round(bytes / 2 ** 10)} kB`);

/**
 * Sends text messages to one client. A message goes out at once if what already waits for the
 * client is under `maxBytes` (so one large answer, an export, still goes to a client that
 * keeps up) and the oldest waiting message is younger than `maxDelayMs`; otherwise the client
 * is too far behind: nothing more is sent to it, and `onLagging` is told why, once. The caller
 * ends what the client was doing and closes the socket: the close frame queues behind what
 * waits, so a client that reads again sees the reason; one that never does is dropped by ws's
 * closing timeout. Memory per client stays below `maxBytes` plus one message.
 */
export class BoundedSender {
  /** When each message still waiting was handed to the socket, oldest first (from `head`). */
  private readonly sentAt: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly onLagging: (reason: string) => void,
    private readonly limits: OutgoingLimits = OUTGOING_LIMITS,
  ) {
    socket.once('close', () => this.stop());
  }

  send(text: string): void {
    if (this.stopped || this.socket.readyState !== WebSocket.OPEN) return;
    // Each message waiting holds some memory besides its bytes (its frame, the stream's record of it).
    const waiting = this.socket.bufferedAmount + (this.sentAt.length - this.head) * MESSAGE_OVERHEAD_BYTES;
    if (waiting > this.limits.maxBytes) return this.lag(`the client fell too far behind: ${describeBytes(waiting)} of messages to it unread`);
    if (this.overdue()) return this.lag(this.delayReason());
    this.sentAt.push(Date.now());
    this.socket.send(text, this.written);
    this.timer ??= setTimeout(this.check, this.limits.maxDelayMs).unref();
  }

  /** ws calls back once per message, in order, when the connection has taken it (or failed). */
  private readonly written = (): void => {
    this.head++;
    if (this.head === this.sentAt.length) {
      this.sentAt.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.sentAt.length) {
      this.sentAt.splice(0, this.head);
      this.head = 0;
    }
  };

  private overdue(): boolean {
    const oldest = this.sentAt[this.head];
    return oldest !== undefined && Date.now() - oldest >= this.limits.maxDelayMs;
  }

  private delayReason(): string {
    return `the client fell too far behind: messages to it unread for ${Math.round(this.limits.maxDelayMs / 1000)} s`;
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const oldest = this.sentAt[this.head];
    if (oldest === undefined) return;
    if (this.overdue()) return this.lag(this.delayReason());
    this.timer = setTimeout(this.check, oldest + this.limits.maxDelayMs - Date.now()).unref();
  };

  private lag(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.onLagging(reason);
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
