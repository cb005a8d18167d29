// The back end, whichever app this is: the preload's bridge in the desktop app, the server's
// WebSocket in a browser. UI code imports `api` from here and nothing from src/main.
import { BRIDGE_SOCKET_PATH } from '../../../shared/contract-methods';
import type { UtterlyApi } from '../../../shared/contract';
import { connectWebTransport } from './web-transport';

function bridgeUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${BRIDGE_SOCKET_PATH}`;
}

const web = window.utterly ? undefined : connectWebTransport(bridgeUrl(window.location));

export const api: UtterlyApi = window.utterly ?? web!;

/**
 * Hears the connection to the back end go (false, at once) and come back (true). Only a browser's
 * can: the desktop app's bridge to its own main process cannot be lost, so this never calls.
 */
export function onConnection(listener: (connected: boolean) => void): () => void {
  return web ? web.onConnection(listener) : () => undefined;
}
