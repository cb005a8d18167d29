// `npm run --silent cli -- COMMAND ...`: Utterly from the command line.
import { UsageError } from './options';
import { errorMessage } from '../../shared/errors';

const HELP = `Usage: npm run --silent cli -- COMMAND [options]

Commands:
  process FILE       run the engine on an audio file; events as JSON lines on stdout
  serve              the streaming API, the UI's back end and the web UI on loopback
  sessions           list the stored sessions
  export SESSION     a session as JSON or as an Audacity label track
  rerun SESSION      process a stored session's audio again as a new session

\`npm run --silent cli -- COMMAND --help\` tells more. Sessions live in the per-user data
folder unless --data-dir DIR says otherwise.`;

// Each command's code is loaded when it runs: `process` does not wait for the server's or the
// database's modules (a native addon among them) to load.
const COMMANDS: Record<string, () => Promise<(args: string[]) => Promise<void>>> = {
  process: async () => (await import('./process-command')).processCommand,
  serve: async () => (await import('./serve-command')).serveCommand,
  sessions: async () => (await import('./session-commands')).sessionsCommand,
  export: async () => (await import('./session-commands')).exportCommand,
  rerun: async () => (await import('./session-commands')).rerunCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(HELP + '\n');
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  try {
    const load = COMMANDS[command];
    if (!load) throw new UsageError(`unknown command "${command}" (try --help)`);
    await (
      await load()
    )(rest);
    return 0;
  } catch (error) {
    process.stderr.write(`utterly: ${errorMessage(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

// A reader that goes away (`| head`) ends the run quietly, as for any Unix tool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
