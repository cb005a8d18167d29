declare module 'audio-type' {
  /** The audio container recognised from a file's first bytes, e.g. "wav", "mp3", "opus". */
  export default function audioType(bytes: Uint8Array): string | undefined;
}
