// Where Utterly keeps its database and recordings.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The platform's per-user data folder for Utterly: `$XDG_DATA_HOME/utterly` or
 * `~/.local/share/utterly` on Linux (and other Unixes), `~/Library/Application Support/Utterly`
 * on macOS, `%APPDATA%\Utterly` on Windows. The arguments are for tests.
 */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (platform === 'win32') return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'Utterly');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'Utterly');
  // The XDG spec says to ignore a relative XDG_DATA_HOME.
  const xdgDataHome = env.XDG_DATA_HOME && path.posix.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  return path.posix.join(xdgDataHome ?? path.posix.join(home, '.local', 'share'), 'utterly');
}

/** Where the database and the audio are in a data folder. */
export function dataDirPaths(dir: string): { dbPath: string; audioDir: string } {
  return { dbPath: path.join(dir, 'utterly.db'), audioDir: path.join(dir, 'audio') };
}

/** Creates the data folder and its audio folder if need be. */
export function prepareDataDir(dir: string): { dbPath: string; audioDir: string } {
  const paths = dataDirPaths(dir);
  mkdirSync(paths.audioDir, { recursive: true });
  return paths;
}
