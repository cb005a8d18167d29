// The UI's contract over one WebSocket (the web build's transport): JSON requests answered by id,
// pushes as they happen, and binary audio frames for live recordings.
//
//   client -> server  text    {"id": n, "method": "listSessions", "params": {...}}
//   server -> client  text    {"id": n, "result": Result}
//   server -> client  text    {"push": Push}
//   client -> server  binary  36 ASCII bytes of the session id, then PCM bytes in its format
import { WebSocket, type RawData } from 'ws';
import { AUDIO_FRAME_ID_BYTES, type Result } from '../../shared/contract';
import { failure, invoke, startedRecordingId, subscribePushes, type Bridge } from '../bridge/handlers';
import type { SessionService } from '../sessions/session-service';

export interface BridgeConnectionOptions extends Pick<Bridge, 'handlers' | 'sendAudio' | 'interruptRecording'> {
  service: SessionService;
}

type RequestId = number | string | null;

function asBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** The request's id if it has a usable one; null otherwise (the answer still goes out, with id null). */
function requestIdOf(message: unknown): RequestId {
  if (typeof message !== 'object' || message === null) return null;
  const { id } = message as { id?: unknown };
  return (typeof id === 'number' && Number.isFinite(id)) || typeof id === 'string' ? id : null;
}

export function handleBridgeConnection(socket: WebSocket, options: BridgeConnectionOptions): void {
  const { handlers, sendAudio, interruptRecording, service } = options;
  // Recordings this connection started: they lose their source when it goes away.
  const ownRecordings = new Set<string>();

  const send = (message: unknown) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const answer = (id: RequestId, result: Result<unknown>) => send({ id, result });

  const handleRequest = async (text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return answer(null, failure('invalid_argument', 'the message is not valid JSON'));
    }
    const id = requestIdOf(message);
    if (id === null) return answer(null, failure('invalid_argument', 'the message needs an "id" (a number or a string)'));
    const { method, params } = message as { method?: unknown; params?: unknown };
    const result = await invoke(handlers, method, params);
    const started = startedRecordingId(method, result);
    if (started) ownRecordings.add(started);
    answer(id, result);
  };

  // A frame for a session that is not recording (or too short to name one) is dropped, and counted, by sendAudio.
  const handleAudio = (frame: Buffer) => sendAudio(frame.toString('ascii', 0, AUDIO_FRAME_ID_BYTES), frame.subarray(AUDIO_FRAME_ID_BYTES));

  const unsubscribe = subscribePushes(service, (push) => send({ push }));
  socket.on('message', (data, isBinary) => {
    const bytes = asBuffer(data);
    if (isBinary) handleAudio(bytes);
    else void handleRequest(bytes.toString('utf8'));
  });
  // A protocol error closes the socket (the 'close' below); unheard, it would crash the process.
  socket.on('error', (error) => console.warn(`Utterly: bridge socket: ${error.message}`));
  socket.once('close', () => {
    unsubscribe();
    for (const id of ownRecordings) void interruptRecording(id, 'the client disconnected while recording');
  });
}
