// A WebSocket client for the server's sockets: the JSON messages it received, how it closed, and
// a wait for a message that matches.
import { WebSocket } from 'ws';

export interface JsonSocket {
  socket: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  next(match: (message: any) => boolean, timeoutMs?: number): Promise<any>;
}

export async function openJsonSocket(url: string): Promise<JsonSocket> {
  const socket = new WebSocket(url);
  const messages: any[] = [];
  socket.on('message', (data, isBinary) => !isBinary && messages.push(JSON.parse(String(data))));
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    socket,
    messages,
    closed,
    async next(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(messages.slice(-5))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
