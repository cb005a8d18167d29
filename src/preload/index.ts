// Preload script. Runs sandboxed (contextIsolation + sandbox), so it is built as
// CommonJS (out/preload/index.cjs) and may only use Electron's sandbox-safe modules.
import { contextBridge } from 'electron';
import type { UtterlyBridge } from '../shared/bridge';

const api = { platform: process.platform } satisfies UtterlyBridge;

contextBridge.exposeInMainWorld('utterly', api);
