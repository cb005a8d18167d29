// The back end, whichever app this is: the preload's bridge in the desktop app, the server's
// WebSocket in a browser. UI code imports `api` from here and nothing from src/main.
import { BRIDGE_SOCKET_PATH } from '../../../shared/contract-methods';
import type { UtterlyApi } from '../../../shared/contract';
import { connectWebTransport } from './web-transport';

function bridgeUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${BRIDGE_SOCKET_PATH}`;
}

export const api: UtterlyApi = window.utterly ?? connectWebTransport(bridgeUrl(window.location));
