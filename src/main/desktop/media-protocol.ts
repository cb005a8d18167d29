// What only the desktop app has: session audio served to the window under its own scheme (with
// byte ranges, so that the audio element can seek), and the system's file dialogs.
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { BrowserWindow, dialog, protocol } from 'electron';
import { MEDIA_SCHEME } from '../../shared/contract-methods';
import type { SessionService } from '../sessions/session-service';
import { AUDIO_MIME, type DesktopDialogs } from '../bridge/handlers';

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
    if (!path) return new Response('no such audio', { status: 404 });
    const { size } = await stat(path);
    const type = AUDIO_MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get('range') ?? '');
    if (!range) {
      return new Response(Readable.toWeb(createReadStream(path)) as ReadableStream, { headers: { 'content-type': type, 'content-length': String(size), 'accept-ranges': 'bytes' } });
    }
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
    return new Response(Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream, {
      status: 206,
      headers: { 'content-type': type, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}`, 'accept-ranges': 'bytes' },
    });
  });
}

const AUDIO_EXTENSIONS = ['wav', 'mp3', 'flac', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'aiff', 'caf', 'webm', 'wma', 'amr', 'qoa'];

export const desktopDialogs: DesktopDialogs = {
  async chooseAudioFiles() {
    const window = BrowserWindow.getFocusedWindow();
    const options = { title: 'Import audio', properties: ['openFile', 'multiSelections'] as Array<'openFile' | 'multiSelections'>, filters: [{ name: 'Audio', extensions: AUDIO_EXTENSIONS }] };
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    return result.canceled ? [] : result.filePaths;
  },
  async saveFile(suggestedName, content) {
    const window = BrowserWindow.getFocusedWindow();
    const options = { title: 'Export', defaultPath: suggestedName };
    const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
    if (result.canceled || !result.filePath) return null;
    await writeFile(result.filePath, content);
    return result.filePath;
  },
};
