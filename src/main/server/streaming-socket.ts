// The seed's streaming protocol on one WebSocket: a `start` JSON message, binary PCM, a `stop`
// JSON message, ApiResponse JSON messages back; as many start/stop rounds as the client likes.
// Every stream is kept as a session (source `api`).
import type { RawData, WebSocket } from 'ws';
import { describeIssues, RequestMessageSchema, type ApiResponse, type StartMessage } from '../../shared/api';
import type { RunnerMode } from '../engine/streaming-context';
import type { Recording } from '../sessions/recording';
import type { SessionService } from '../sessions/session-service';
import { BoundedSender, LAGGING_CLOSE_CODE, OUTGOING_LIMITS, type OutgoingLimits } from './outgoing';
import { closeReason, onProtocolError } from './server-socket';

const errorEvent = (message: string): ApiResponse => ({ channel: 0, type: 'error', message });

function asBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function handleStreamingConnection(
  socket: WebSocket,
  mode: RunnerMode,
  service: SessionService,
  log: (line: string) => void,
  limits: OutgoingLimits = OUTGOING_LIMITS,
): void {
  // The socket is one client of the service: its streams are its own, and so are their events.
  const connection = service.connect();
  let recording: Recording | undefined;
  // Messages are handled one after another, in the order they came. Reading pauses while any
  // wait (ws still delivers the rest of a chunk already read), so a client sending faster than
  // the engine takes is slowed by TCP instead of being buffered without end.
  let work: Promise<void> = Promise.resolve();
  let waiting = 0;
  /** Set once the connection is over for the server: the client went, or fell too far behind. */
  let ended = false;

  // A client that stops reading its results is let go as one that vanished: its stream is
  // interrupted, with what it sent kept, and the socket is closed with the reason.
  const sender = new BoundedSender(
    socket,
    (reason) => {
      log(`streaming socket: ${reason}; closing it`);
      end(reason);
      socket.close(LAGGING_CLOSE_CODE, reason);
    },
    limits,
  );
  const send = (response: ApiResponse) => sender.send(JSON.stringify(response));
  onProtocolError(socket, (message) => send(errorEvent(message)));

  const start = async (message: StartMessage) => {
    if (recording) return send(errorEvent('a stream is already running: send stop first'));
    const started = await connection.startRecording(
      { source: 'api', format: message.format, settings: { mode, interim_results: message.interim_results, vad: message.vad } },
      send,
    );
    recording = started;
    // A storage failure ended it: the client has had the error event with the reason, and its
    // stream closes (1011, an unexpected condition on the server), unless it had ended first.
    void started.failed.then((session) => {
      if (recording !== started) return;
      recording = undefined;
      ended = true;
      socket.close(1011, closeReason(session.error ?? 'the stream could not be stored'));
    });
  };

  const finish = async (how: (r: Recording) => Promise<unknown>) => {
    const current = recording!;
    recording = undefined;
    await how(current);
  };

  const handle = async (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      if (!recording) return send(errorEvent('audio received before start: send a start message first'));
      return recording.write(asBytes(data));
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(asBytes(data)));
    } catch {
      return send(errorEvent('malformed message: not JSON'));
    }
    const request = RequestMessageSchema.safeParse(json);
    if (!request.success) return send(errorEvent(`bad request: ${describeIssues(request.error)}`));
    if (request.data.request === 'start') return start(request.data);
    if (!recording) return send(errorEvent('no stream to stop: send a start message first'));
    await finish((r) => r.stop());
    if (request.data.disconnect) socket.close(1000, 'stream finished');
  };

  /** What the client was doing ends: what it sent is processed and kept, marked interrupted. */
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    work = work.then(async () => {
      recording = undefined;
      await connection.close(reason);
    });
  };

  socket.on('message', (data, isBinary) => {
    if (ended) return;
    if (waiting++ === 0) socket.pause();
    work = work
      .then(() => handle(data, isBinary))
      .catch((error: Error) => {
        log(`streaming socket: ${error.message}`);
        send(errorEvent(error.message));
      })
      .finally(() => {
        if (--waiting === 0) socket.resume();
      });
  });

  socket.on('close', () => end('the client disconnected before stop'));
}
