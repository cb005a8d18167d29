import type { UtterlyApi } from '../../shared/contract';

declare global {
  /** package.json's version, set at build time (electron.vite.config.ts). */
  const __APP_VERSION__: string;

  interface Window {
    /** The contract, exposed by the preload script in the desktop app; absent in the web build. */
    readonly utterly?: UtterlyApi;
  }
}

export {};
