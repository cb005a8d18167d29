// `serve`: the back end for any browser or client on this machine.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { audioPathOf } from '../../shared/contract-methods';
import { openBackend } from '../backend';
import { createHandlers } from '../bridge/handlers';
import { handleBridgeConnection } from '../server/bridge-socket';
import { isLoopbackHost, newAccessToken, urlHost } from '../server/access';
import { startServer } from '../server/server';
import { DATA_DIR_OPTION, ENGINE_OPTIONS, UsageError, dataDir, engineOptions, integerOption, parse } from './options';

export const SERVE_HELP = `Usage: npm run --silent cli -- serve [--port N] [--host 127.0.0.1] [--data-dir DIR]
                                 [--model-config FILE] [--pool N] [--verbose]

Serves GET /api/v1/health, the streaming WebSockets /api/v1/simple and /api/v1/segmented
(the seed's protocol: a start message, binary PCM, a stop message), the UI's contract on
/api/v1/bridge, and the web build of the UI at / (after \`npm run build\`). Every stream is kept
as a session. Listens on loopback unless --host says otherwise; prints its URL on stdout. On
loopback it serves only requests that name 127.0.0.1, localhost or [::1] with its port, from no
other web origin. On any other address (--host 0.0.0.0) every request and socket needs the
access token printed at start: open the printed address, with its ?token=, in a browser, or
send "Authorization: Bearer TOKEN" or ?token=TOKEN. The token changes at every start.
--model-config and --pool are defaults: once settings are saved from the UI (Settings…), the
stored ones apply, each from the next recording or import on.
Stops cleanly on Ctrl-C (SIGINT) or SIGTERM. Owns the data folder while it runs: a second
\`serve\` or the app on the same folder is refused; \`sessions\` and \`export\` work beside it.`;

export async function serveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...DATA_DIR_OPTION, ...ENGINE_OPTIONS, port: { type: 'string' }, host: { type: 'string' } });
  if (values.help) {
    process.stdout.write(SERVE_HELP + '\n');
    return;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${positionals[0]}"`);
  const port = integerOption('port', values.port, 8080, 0, 65535);
  const engine = await engineOptions(values);
  // The command line's model and pool are defaults: the settings stored from the UI override them.
  const defaults = {
    ...(values['model-config'] === undefined ? {} : { model: engine.model }),
    ...(values.pool === undefined ? {} : { pool_size: engine.poolSize }),
  };
  const backend = openBackend({ dataDir: dataDir(values), role: 'owner', command: 'cli serve', engine: { log: engine.log }, defaults });
  const staticDir = fileURLToPath(new URL('../renderer', import.meta.url));
  const log = (line: string) => process.stderr.write(line + '\n');
  const bridge = createHandlers(backend.service, { getSettings: backend.getSettings, setSettings: backend.setSettings, audioUrl: audioPathOf });
  const host = values.host ?? '127.0.0.1';
  // Off loopback, anyone who can reach the address could use the server: only the token holder may.
  const token = isLoopbackHost(host) ? undefined : newAccessToken();
  const server = await startServer({
    host,
    port,
    token,
    service: backend.service,
    staticDir: existsSync(staticDir) ? staticDir : undefined,
    uploadDir: backend.uploadDir,
    onBridgeConnection: (socket, limits) => handleBridgeConnection(socket, { connect: bridge.connect, service: backend.service, limits }),
    log,
  }).catch(async (error: Error) => {
    await backend.close();
    throw new Error(`cannot listen on ${host}:${port}: ${error.message}`);
  });
  process.stdout.write(`Utterly is listening on ${server.url}\n`);
  if (token) {
    // A wildcard address is no address to open: the machine's name is.
    const reachable = host === '0.0.0.0' || host === '::' || host === '[::]' ? hostname() : host;
    process.stdout.write(`Access token: ${token}\n`);
    process.stdout.write(`Open http://${urlHost(reachable)}:${server.port}/?token=${token} (every request needs the token; it changes at every start)\n`);
  }
  if (backend.recovered.length > 0) log(`${backend.recovered.length} session(s) left unfinished by a crash are now marked interrupted`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping: finishing open streams');
  await backend.service.close();
  await server.close();
  await backend.close();
}
