// The seed's streaming protocol on one WebSocket: a `start` JSON message, binary PCM, a `stop`
// JSON message, ApiResponse JSON messages back; as many start/stop rounds as the client likes.
// Every stream is kept as a session (source `api`).
import type { RawData, WebSocket } from 'ws';
import { describeIssues, RequestMessageSchema, type ApiResponse, type StartMessage } from '../../shared/api';
import type { RunnerMode } from '../engine/streaming-context';
import type { Recording, SessionService } from '../sessions/session-service';

const errorEvent = (message: string): ApiResponse => ({ channel: 0, type: 'error', message });

function asBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function handleStreamingConnection(socket: WebSocket, mode: RunnerMode, service: SessionService, log: (line: string) => void): void {
  let recording: Recording | undefined;
  let forward: ((sessionId: string, event: ApiResponse) => void) | undefined;
  // Messages are handled one after another, in the order they came. Reading pauses while any
  // wait (ws still delivers the rest of a chunk already read), so a client sending faster than
  // the engine takes is slowed by TCP instead of being buffered without end.
  let work: Promise<void> = Promise.resolve();
  let waiting = 0;

  const send = (response: ApiResponse) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(response));
  };

  const start = async (message: StartMessage) => {
    if (recording) return send(errorEvent('a stream is already running: send stop first'));
    const started = await service.startRecording({
      source: 'api',
      format: message.format,
      settings: { mode, interim_results: message.interim_results, vad: message.vad },
    });
    recording = started;
    forward = (sessionId, event) => sessionId === started.session.id && send(event);
    service.on('event', forward);
  };

  const finish = async (how: (r: Recording) => Promise<unknown>) => {
    const current = recording!;
    recording = undefined;
    try {
      await how(current);
    } finally {
      service.off('event', forward!);
    }
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

  socket.on('message', (data, isBinary) => {
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

  socket.on('close', () => {
    // A client that vanishes mid-stream: what it sent is processed and kept, marked interrupted.
    work = work.then(async () => {
      if (recording) await finish((r) => r.interrupt('the client disconnected before stop'));
    });
  });
}
