// The contract over Electron IPC: one invoke handler per method, pushes to the window, and the
// MessagePort the window's audio arrives on. Only the app's own page is served.
import { ipcMain, type IpcMainEvent, type MessagePortMain, type WebContents, type WebFrameMain } from 'electron';
import { AUDIO_PORT_CHANNEL, METHOD_NAMES, PUSH_CHANNEL, ipcChannel, type Push } from '../../shared/contract';
import type { SessionService } from '../sessions/session-service';
import { isAppUrl, type AppLocation } from './window';
import { failure, invoke, startedRecordingId, subscribePushes, type Bridge } from '../bridge/handlers';

export interface IpcOptions extends Pick<Bridge, 'handlers' | 'sendAudio' | 'interruptRecording'> {
  service: SessionService;
  isAppFrame: (frame: WebFrameMain | null) => boolean;
  /** The window pushes go to; undefined while there is none. */
  getWebContents: () => WebContents | undefined;
}

/**
 * Engine events come in bursts (an import runs hundreds of times faster than real time): pushes
 * are sent to the window as one array per this many milliseconds, in order.
 */
export const PUSH_BATCH_MS = 50;

const NOT_THE_APP = failure('failed_precondition', 'caller is not the app');

/** The app's own page, in the window's main frame: nothing else may call the back end. */
export function appFrameCheck(location: AppLocation): (frame: WebFrameMain | null) => boolean {
  return (frame) => frame !== null && frame.parent === null && isAppUrl(frame.url, location);
}

interface AudioMessage {
  sessionId: string;
  chunk: ArrayBuffer;
}

function isAudioMessage(data: unknown): data is AudioMessage {
  if (typeof data !== 'object' || data === null) return false;
  const { sessionId, chunk } = data as Partial<AudioMessage>;
  return typeof sessionId === 'string' && chunk instanceof ArrayBuffer;
}

/** Wires the contract to ipcMain; returns the function that undoes it. */
export function setupIpc(options: IpcOptions): () => void {
  const { handlers, sendAudio, interruptRecording, service, isAppFrame, getWebContents } = options;
  // Recordings the window started: they lose their source when its audio port closes (window
  // closed, page reloaded).
  const windowRecordings = new Set<string>();
  const ports = new Set<MessagePortMain>();

  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), async (event, params: unknown) => {
      if (!isAppFrame(event.senderFrame)) return NOT_THE_APP;
      const result = await invoke(handlers, method, params);
      const started = startedRecordingId(method, result);
      if (started) windowRecordings.add(started);
      return result;
    });
  }

  let queued: Push[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    flushTimer = undefined;
    const batch = queued;
    queued = [];
    const contents = getWebContents();
    if (contents && !contents.isDestroyed()) contents.send(PUSH_CHANNEL, batch);
  };
  const unsubscribe = subscribePushes(service, (push) => {
    queued.push(push);
    flushTimer ??= setTimeout(flush, PUSH_BATCH_MS);
  });

  const onAudioPort = (event: IpcMainEvent) => {
    const [port] = event.ports;
    if (!port) return;
    if (!isAppFrame(event.senderFrame)) return port.close();
    ports.add(port);
    let warned = false;
    port.on('message', ({ data }) => {
      if (isAudioMessage(data)) return sendAudio(data.sessionId, new Uint8Array(data.chunk));
      if (!warned) console.warn('Utterly: ignoring audio port messages that are not { sessionId, chunk: ArrayBuffer }');
      warned = true;
    });
    port.on('close', () => {
      ports.delete(port);
      for (const id of windowRecordings) void interruptRecording(id, 'the window went away while recording');
      windowRecordings.clear();
    });
    port.start();
  };
  ipcMain.on(AUDIO_PORT_CHANNEL, onAudioPort);

  return () => {
    for (const method of METHOD_NAMES) ipcMain.removeHandler(ipcChannel(method));
    ipcMain.removeListener(AUDIO_PORT_CHANNEL, onAudioPort);
    unsubscribe();
    clearTimeout(flushTimer);
    for (const port of ports) {
      port.removeAllListeners();
      port.close();
    }
  };
}
