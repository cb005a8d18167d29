import type { UtterlyApi } from '../../shared/contract';

declare global {
  interface Window {
    /** The contract, exposed by the preload script in the desktop app; absent in the web build. */
    readonly utterly?: UtterlyApi;
  }
}

export {};
