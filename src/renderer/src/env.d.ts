import type { UtterlyBridge } from '../../shared/bridge';

declare global {
  interface Window {
    /** The API the preload script exposes with contextBridge. */
    readonly utterly: UtterlyBridge;
  }
}

export {};
