// The contract's method names, apart from their schemas so that the preload script can list
// them without bundling the schema library. contract.ts checks that both lists agree.
export const METHOD_NAMES = [
  'listSessions',
  'getSession',
  'getEvents',
  'renameSession',
  'deleteSession',
  'exportSession',
  'importFile',
  'cancelImport',
  'rerunSession',
  'startRecording',
  'stopRecording',
  'getSettings',
  'setSettings',
  'getWaveform',
  'getAudioUrl',
  'chooseAudioFiles',
  'saveExport',
] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** Electron IPC channel names, derived so that preload and main cannot disagree. */
export const ipcChannel = (method: MethodName) => `utterly:${method}`;
/** Main to window: `Push[]`, the pushes of a few milliseconds in order (batched, as imports are fast). */
export const PUSH_CHANNEL = 'utterly:push';
/** Window to main: `(sessionId, Uint8Array)`, a copy of each block of microphone audio (see src/main/desktop/ipc.ts). */
export const AUDIO_CHANNEL = 'utterly:audio';
/** The bridge WebSocket's binary audio frame: this many ASCII bytes of session id, then the PCM bytes. */
export const AUDIO_FRAME_ID_BYTES = 36;
/** Where `cli -- serve` carries the contract over a WebSocket, for the web build. */
export const BRIDGE_SOCKET_PATH = '/api/v1/bridge';
/** Where `cli -- serve` serves a session's audio (with byte ranges, for seeking). */
export const audioPathOf = (sessionId: string) => `/api/v1/sessions/${sessionId}/audio`;
/** Where the web build uploads a file to import: POST the bytes, `?name=FILE`; answers `{ path }`. */
export const UPLOAD_PATH = '/api/v1/uploads';
/** The desktop app's scheme for session audio: `utterly-media://audio/<session id>`. */
export const MEDIA_SCHEME = 'utterly-media';
