// Preload script. Runs sandboxed (contextIsolation + sandbox), so it is built as CommonJS
// (out/preload/index.cjs) and may only use Electron's sandbox-safe modules. It exposes the
// contract (src/shared/contract.ts) and nothing else: never ipcRenderer itself. Only the
// schema-free half of the contract is imported, so that zod is not bundled here.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { MethodName, Push, UtterlyApi } from '../shared/contract';
import { AUDIO_CHANNEL, METHOD_NAMES, PUSH_CHANNEL, ipcChannel } from '../shared/contract-methods';

// The main process validates every argument and answers every call with a Result.
const methods = Object.fromEntries(METHOD_NAMES.map((method) => [method, (params: unknown) => ipcRenderer.invoke(ipcChannel(method), params)])) as Pick<
  UtterlyApi,
  MethodName
>;

const api = {
  ...methods,
  platform: 'desktop',
  async fileToImport(file) {
    const path = webUtils.getPathForFile(file);
    return path ? { ok: true, value: { path } } : { ok: false, error: { code: 'invalid_argument', message: `${file.name} is not a file on this computer` } };
  },
  // A copy on the channel the methods use, so that it keeps its place before a stopRecording;
  // never transferred (see src/main/desktop/ipc.ts).
  sendAudio(sessionId, chunk) {
    ipcRenderer.send(AUDIO_CHANNEL, sessionId, new Uint8Array(chunk));
  },
  onPush(listener) {
    const forward = (_event: unknown, pushes: Push[]) => {
      for (const push of pushes) listener(push);
    };
    ipcRenderer.on(PUSH_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(PUSH_CHANNEL, forward);
  },
} satisfies UtterlyApi;

contextBridge.exposeInMainWorld('utterly', api);
