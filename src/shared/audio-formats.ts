// The audio formats Utterly knows, written once: the decoder's list, the MIME types the server
// and the desktop app serve audio with, the desktop open dialog's filter and the browser's file
// picker all come from here.

export interface AudioFormatEntry {
  /** The container as the file's first bytes say it (audio-type's name). */
  readonly container: string;
  /** File name extensions, without the dot, the first the usual one. */
  readonly extensions: readonly string[];
  readonly mime: string;
}

export const AUDIO_FORMATS = [
  { container: 'wav', extensions: ['wav', 'wave', 'rf64', 'bw64'], mime: 'audio/wav' },
  { container: 'mp3', extensions: ['mp3'], mime: 'audio/mpeg' },
  { container: 'flac', extensions: ['flac'], mime: 'audio/flac' },
  { container: 'oga', extensions: ['ogg', 'oga'], mime: 'audio/ogg' },
  { container: 'opus', extensions: ['opus'], mime: 'audio/ogg' },
  { container: 'm4a', extensions: ['m4a', 'mp4', 'm4b'], mime: 'audio/mp4' },
  { container: 'aac', extensions: ['aac'], mime: 'audio/aac' },
  { container: 'aiff', extensions: ['aiff', 'aif', 'aifc'], mime: 'audio/aiff' },
  { container: 'caf', extensions: ['caf'], mime: 'audio/x-caf' },
  { container: 'webm', extensions: ['webm'], mime: 'audio/webm' },
  { container: 'wma', extensions: ['wma'], mime: 'audio/x-ms-wma' },
  { container: 'amr', extensions: ['amr'], mime: 'audio/amr' },
  { container: 'qoa', extensions: ['qoa'], mime: 'audio/x-qoa' },
] as const satisfies readonly AudioFormatEntry[];

export type AudioContainer = (typeof AUDIO_FORMATS)[number]['container'];

export const isDecodableContainer = (container: string): container is AudioContainer => AUDIO_FORMATS.some((format) => format.container === container);

/** Every extension a file to import may have, without dots. */
export const AUDIO_EXTENSIONS: readonly string[] = AUDIO_FORMATS.flatMap((format) => format.extensions);

/** The MIME type to serve a stored audio file with, by its name. */
export function audioMimeOf(fileName: string): string {
  const extension = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  return AUDIO_FORMATS.find((format) => (format.extensions as readonly string[]).includes(extension))?.mime ?? 'application/octet-stream';
}

/** The browser file picker's `accept`: audio MIME types and the extensions. */
export const AUDIO_ACCEPT = ['audio/*', ...AUDIO_EXTENSIONS.map((extension) => `.${extension}`)].join(',');
