// The server's WebSocket: ws's own, except that when ws closes a connection for a broken rule
// (a message over the size limit, text that is not UTF-8) the client is first told why, in its
// protocol's own error message, and the close frame carries the reason too. ws closes such a
// connection itself, with only a code, before it reports the error to anyone (receiverOnError
// in ws/lib/websocket.js calls close(code)); this subclass is the one place that sees it first.
import { WebSocket } from 'ws';

/** The largest WebSocket message taken: far above any sane audio chunk, far below harm. */
export const MAX_MESSAGE_BYTES = 16 * 2 ** 20;

/** The reasons of the close codes ws uses for a client's broken rules (RFC 6455, 7.4.1). */
const PROTOCOL_CLOSE_REASONS: Record<number, string> = {
  1009: `the message is larger than ${MAX_MESSAGE_BYTES / 2 ** 20} MB, the most this server takes`,
  1007: 'a text message is not valid UTF-8',
  1002: 'the message breaks the WebSocket protocol',
};

export class ServerSocket extends WebSocket {
  /** Set by the connection's handler: sends the client an error message of its protocol. */
  explain?: (message: string) => void;

  override close(code?: number, data?: string | Buffer): void {
    const reason = data === undefined && code !== undefined && this.readyState === WebSocket.OPEN ? PROTOCOL_CLOSE_REASONS[code] : undefined;
    if (reason === undefined) return super.close(code, data);
    try {
      this.explain?.(reason);
    } finally {
      super.close(code, reason);
    }
  }
}

/** A close frame's reason holds at most 123 bytes of UTF-8 (RFC 6455, 5.5.1). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  const characters = Array.from(text);
  while (Buffer.byteLength(characters.join('') + '…') > 123) characters.pop();
  return characters.join('') + '…';
}

/** Lets the handler of a connection explain protocol errors, when the socket can. */
export function onProtocolError(socket: WebSocket, explain: (message: string) => void): void {
  if (socket instanceof ServerSocket) socket.explain = explain;
}
