// What only the desktop app has: session audio served to the window under its own scheme (with
// byte ranges, so that the audio element can seek), and the system's file dialogs.
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BrowserWindow, dialog, protocol } from 'electron';
import { MEDIA_SCHEME } from '../../shared/contract-methods';
import type { SessionService } from '../sessions/session-service';
import type { DesktopDialogs } from '../bridge/handlers';
import { AUDIO_EXTENSIONS, audioMimeOf } from '../../shared/audio-formats';
import { byteRange } from '../bridge/byte-range';
import { EXPORT_FILES } from '../../shared/sessions';

/** Must run before the app is ready: the scheme streams media and is not a web origin. */
export function registerMediaScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: MEDIA_SCHEME, privileges: { stream: true, supportFetchAPI: true } }]);
}

export const mediaUrlOf = (sessionId: string) => `${MEDIA_SCHEME}://audio/${sessionId}`;

export function setupMediaProtocol(service: SessionService): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const id = new URL(request.url).pathname.replace(/^\//, '');
    let path: string | null;
    try {
      path = service.get(id).audio_path;
    } catch {
      path = null;
    }
    const size = path
      ? await stat(path).then(
          (found) => (found.isFile() ? found.size : undefined),
          () => undefined,
        )
      : undefined;
    if (!path || size === undefined) return new Response('no such audio', { status: 404 });
    const headers = { 'content-type': audioMimeOf(path), 'accept-ranges': 'bytes' };
    const range = byteRange(request.headers.get('range'), size);
    if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
    const { start, end, partial } = range;
    const body = Readable.toWeb(createReadStream(path, partial ? { start, end } : {})) as ReadableStream;
    if (!partial) return new Response(body, { headers: { ...headers, 'content-length': String(size) } });
    return new Response(body, {
      status: 206,
      headers: { ...headers, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` },
    });
  });
}

export const desktopDialogs: DesktopDialogs = {
  async chooseAudioFiles() {
    const window = BrowserWindow.getFocusedWindow();
    const options = {
      title: 'Import audio',
      properties: ['openFile', 'multiSelections'] as Array<'openFile' | 'multiSelections'>,
      filters: [{ name: 'Audio', extensions: [...AUDIO_EXTENSIONS] }],
    };
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    return result.canceled ? [] : result.filePaths;
  },
  async saveFile(suggestedName, content) {
    const window = BrowserWindow.getFocusedWindow();
    // The format's own filter, so that the dialog keeps the extension (.json, .txt, .srt, .vtt).
    const format = Object.values(EXPORT_FILES).find((file) => suggestedName.endsWith(`.${file.extension}`));
    const options = { title: 'Export', defaultPath: suggestedName, filters: format ? [{ name: format.label, extensions: [format.extension] }] : [] };
    const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
    if (result.canceled || !result.filePath) return null;
    await writeFile(result.filePath, content);
    return result.filePath;
  },
};
