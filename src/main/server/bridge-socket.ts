// The UI's contract over one WebSocket (the web build's transport): JSON requests answered by id,
// pushes as they happen, and binary audio frames for live recordings.
//
//   client -> server  text    {"id": n, "method": "listSessions", "params": {...}}
//   server -> client  text    {"id": n, "result": Result}
//   server -> client  text    {"push": Push}
//   client -> server  binary  36 ASCII bytes of the session id, then PCM bytes in its format
//
// Each connection is a client of its own (BridgeClient): the recordings it starts obey it alone,
// and it is pushed the events of the sessions it watches, with every session change. An answer
// with id null reports what had no id to answer: a message that is not a request, audio refused
// for a recording of another connection, a message too large.
import { WebSocket, type RawData } from 'ws';
import { AUDIO_FRAME_ID_BYTES, type Result } from '../../shared/contract';
import { failure, invoke, subscribePushes, type Bridge } from '../bridge/handlers';
import type { SessionService } from '../sessions/session-service';
import { BoundedSender, LAGGING_CLOSE_CODE, OUTGOING_LIMITS, type OutgoingLimits } from './outgoing';
import { onProtocolError } from './server-socket';

export interface BridgeConnectionOptions extends Pick<Bridge, 'connect'> {
  service: SessionService;
  /** How far behind the client may fall before it is closed. */
  limits?: OutgoingLimits;
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
  const { service } = options;
  const client = options.connect();
  /** Recordings whose foreign audio was already refused: one answer each, not one per frame. */
  const refusedAudio = new Set<string>();
  /** Why the connection is over for the server, once it is: the client went, or fell too far behind. */
  let ended: string | undefined;

  // A client that stops reading is let go as one that vanished: its recordings are interrupted.
  const sender = new BoundedSender(
    socket,
    (reason) => {
      console.warn(`Utterly: bridge socket: ${reason}; closing it`);
      end(reason);
      socket.close(LAGGING_CLOSE_CODE, reason);
    },
    options.limits ?? OUTGOING_LIMITS,
  );
  const send = (message: unknown) => sender.send(JSON.stringify(message));
  const answer = (id: RequestId, result: Result<unknown>) => send({ id, result });
  onProtocolError(socket, (message) => answer(null, failure('invalid_argument', message)));

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
    const result = await invoke(client.handlers, method, params);
    // A recording started as the client went has no source either.
    if (ended !== undefined) return void client.release(ended);
    answer(id, result);
  };

  // A frame for a session that is not recording (or too short to name one) is dropped, and
  // counted, by sendAudio; one for another connection's recording is refused, once per session.
  const handleAudio = (frame: Buffer) => {
    const sessionId = frame.toString('ascii', 0, AUDIO_FRAME_ID_BYTES);
    const refusal = client.sendAudio(sessionId, frame.subarray(AUDIO_FRAME_ID_BYTES));
    if (refusal === undefined || refusedAudio.has(sessionId)) return;
    if (refusedAudio.size < 1000) refusedAudio.add(sessionId);
    answer(null, failure('failed_precondition', `audio refused: ${refusal}`));
  };

  const unsubscribe = subscribePushes(
    service,
    (push) => send({ push }),
    (push) => client.wants(push),
  );
  socket.on('message', (data, isBinary) => {
    if (ended !== undefined) return;
    const bytes = asBuffer(data);
    if (isBinary) handleAudio(bytes);
    else void handleRequest(bytes.toString('utf8'));
  });
  // A protocol error closes the socket (the 'close' below); unheard, it would crash the process.
  socket.on('error', (error) => console.warn(`Utterly: bridge socket: ${error.message}`));

  const end = (reason: string) => {
    if (ended !== undefined) return;
    ended = reason;
    unsubscribe();
    void client.release(reason);
  };
  socket.once('close', () => end('the client disconnected while recording'));
}
