// The contract over Electron IPC: one invoke handler per method, pushes to the window, and the
// window's microphone audio. Only the app's own page, in the app's window, is served.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents, type WebFrameMain } from 'electron';
import { AUDIO_CHANNEL, METHOD_NAMES, PUSH_CHANNEL, ipcChannel, type Push } from '../../shared/contract';
import type { SessionService } from '../sessions/session-service';
import { isAppUrl, type AppLocation } from './window';
import { failure, invoke, subscribePushes, type Bridge, type BridgeClient } from '../bridge/handlers';

export interface IpcOptions extends Pick<Bridge, 'connect'> {
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

/**
 * The app's own page: the main frame of the app's window (compared by its process and routing
 * ids, which Electron documents on WebFrameMain), showing the app's index.html.
 */
export function appFrameCheck(location: AppLocation, getWebContents: () => WebContents | undefined): (frame: WebFrameMain | null) => boolean {
  return (frame) => {
    const main = getWebContents()?.mainFrame;
    return frame !== null && main !== undefined && frame.processId === main.processId && frame.routingId === main.routingId && isAppUrl(frame.url, location);
  };
}

/**
 * Wires the contract to ipcMain; returns the function that undoes it.
 *
 * Audio comes as `ipcRenderer.send(AUDIO_CHANNEL, sessionId, Uint8Array)`: a structured-clone
 * copy. Not through a MessagePort: a MessagePortMain loses every message that transfers an
 * ArrayBuffer (electron/electron#34905). And on the same IPC interface as the `invoke` of
 * stopRecording (ElectronApiIPC in shell/common/api/api.mojom: Message and Invoke share one
 * Mojo pipe, which keeps their order), so that no audio sent before Stop arrives after it.
 */
export function setupIpc(options: IpcOptions): () => void {
  const { service, isAppFrame, getWebContents } = options;
  const pages = new PageClients(options.connect);

  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, params: unknown) => {
      if (!isAppFrame(event.senderFrame)) return NOT_THE_APP;
      return invoke(pages.clientOf(event.sender).handlers, method, params);
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

  let warned = false;
  const onAudio = (event: IpcMainEvent, sessionId: unknown, chunk: unknown) => {
    if (!isAppFrame(event.senderFrame)) return;
    // A page that has called nothing yet has started no recording: its audio has nowhere to go.
    const client = pages.existingClientOf(event.sender);
    if (typeof sessionId === 'string' && chunk instanceof Uint8Array && client !== undefined && client.sendAudio(sessionId, chunk) === undefined) return;
    if (!warned) console.warn('Utterly: ignoring audio that is not (session id, Uint8Array) for a recording this page started');
    warned = true;
  };
  ipcMain.on(AUDIO_CHANNEL, onAudio);

  return () => {
    for (const method of METHOD_NAMES) ipcMain.removeHandler(ipcChannel(method));
    ipcMain.removeListener(AUDIO_CHANNEL, onAudio);
    unsubscribe();
    clearTimeout(flushTimer);
    pages.forget();
  };
}

/**
 * Each page of the window is a client of its own, from its first call until it goes away (the
 * window closes, the page reloads or crashes): its recordings are interrupted then, their audio
 * and results kept, and the next page starts afresh.
 */
class PageClients {
  private readonly byPage = new Map<WebContents, { client: BridgeClient; unwatch: () => void }>();

  constructor(private readonly connect: () => BridgeClient) {}

  clientOf(contents: WebContents): BridgeClient {
    return (this.byPage.get(contents) ?? this.watch(contents)).client;
  }

  existingClientOf(contents: WebContents): BridgeClient | undefined {
    return this.byPage.get(contents)?.client;
  }

  forget(): void {
    for (const page of this.byPage.values()) page.unwatch();
    this.byPage.clear();
  }

  private watch(contents: WebContents) {
    const gone = () => this.end(contents);
    const navigating = (details: { isMainFrame: boolean; isSameDocument: boolean }) => {
      if (details.isMainFrame && !details.isSameDocument) gone();
    };
    contents.on('did-start-navigation', navigating);
    contents.on('render-process-gone', gone);
    contents.once('destroyed', gone);
    const page = {
      client: this.connect(),
      unwatch: () => {
        contents.off('did-start-navigation', navigating);
        contents.off('render-process-gone', gone);
        contents.off('destroyed', gone);
      },
    };
    this.byPage.set(contents, page);
    return page;
  }

  private end(contents: WebContents): void {
    const page = this.byPage.get(contents);
    if (!page) return;
    page.unwatch();
    this.byPage.delete(contents);
    void page.client.release('the window went away while recording');
  }
}
