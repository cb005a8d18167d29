// The contract over Electron IPC: one invoke handler per method, pushes to the window, and the
// window's microphone audio. Only the app's own page, in the app's window, is served.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents, type WebFrameMain } from 'electron';
import { AUDIO_CHANNEL, METHOD_NAMES, PUSH_CHANNEL, ipcChannel, type Push } from '../../shared/contract';
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
  const { handlers, sendAudio, interruptRecording, service, isAppFrame, getWebContents } = options;
  const pages = new PageRecordings(interruptRecording);

  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, params: unknown) => {
      if (!isAppFrame(event.senderFrame)) return NOT_THE_APP;
      const result = await invoke(handlers, method, params);
      const started = startedRecordingId(method, result);
      if (started) pages.add(event.sender, started);
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

  let warned = false;
  const onAudio = (event: IpcMainEvent, sessionId: unknown, chunk: unknown) => {
    if (!isAppFrame(event.senderFrame)) return;
    if (typeof sessionId === 'string' && chunk instanceof Uint8Array && pages.owns(event.sender, sessionId)) return sendAudio(sessionId, chunk);
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
 * The recordings each page started. They lose their source when the page goes away (the window
 * closes, the page reloads or crashes) and are interrupted then, their audio and results kept.
 */
class PageRecordings {
  private readonly byPage = new Map<WebContents, { ids: Set<string>; unwatch: () => void }>();

  constructor(private readonly interrupt: (id: string, reason: string) => Promise<void>) {}

  owns(contents: WebContents, id: string): boolean {
    return this.byPage.get(contents)?.ids.has(id) ?? false;
  }

  add(contents: WebContents, id: string): void {
    const page = this.byPage.get(contents) ?? this.watch(contents);
    page.ids.add(id);
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
      ids: new Set<string>(),
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
    for (const id of page.ids) void this.interrupt(id, 'the window went away while recording');
  }
}
