// postinstall: builds better-sqlite3 for Electron's ABI into node_modules/.utterly/electron/
// (ELECTRON_SQLITE_BINDING in src/main/storage/database.ts), beside the Node build that
// `npm test` uses, which stays untouched. The desktop app loads it through better-sqlite3's
// `nativeBinding` option. Usage: node scripts/build-electron-sqlite.mjs [--required] [project root]
// (--required: `npm run pack`/`dist`, where an app without it could not open its database).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const required = process.argv.includes('--required');
const root = resolve(process.argv.slice(2).find((arg) => arg !== '--required') ?? fileURLToPath(new URL('..', import.meta.url)));
const modules = join(root, 'node_modules');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

// Electron's own install script writes path.txt once the binary is downloaded.
const electronDir = join(modules, 'electron');
const pathFile = join(electronDir, 'path.txt');
const electronBinary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : undefined;
if (!electronBinary || !existsSync(electronBinary)) {
  if (required) {
    console.error(
      'utterly: no Electron binary here, so no Electron build of better-sqlite3: the packed app could not open its database (install without ELECTRON_SKIP_BINARY_DOWNLOAD)',
    );
    process.exit(1);
  }
  console.log('utterly: no Electron binary here; skipping the Electron build of better-sqlite3 (npm test does not need it)');
  process.exit(0);
}

const electronVersion = readJson(join(electronDir, 'package.json')).version;
// The real folder: a linked package (pnpm, npm link) must be copied, not its link.
const sqliteDir = realpathSync(join(modules, 'better-sqlite3'));
const sqliteVersion = readJson(join(sqliteDir, 'package.json')).version;
const outDir = join(modules, '.utterly', 'electron');
const binding = join(outDir, 'better_sqlite3.node');
const stampFile = join(outDir, 'versions.json');
const stamp = JSON.stringify({ electron: electronVersion, 'better-sqlite3': sqliteVersion, arch: process.arch });

// Every `npm install` runs this; a build takes minutes, so it is done once per version pair.
if (existsSync(binding) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`utterly: better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} is up to date`);
  process.exit(0);
}

// A copy without the Node build, so that nothing the build does can reach that one.
const buildDir = join(modules, '.utterly', 'better-sqlite3-electron');
rmSync(buildDir, { recursive: true, force: true });
cpSync(sqliteDir, buildDir, { recursive: true, dereference: true, filter: (path) => path !== join(sqliteDir, 'build') });
// A nodedir in npm's config (set for building against Node's headers offline) would make
// node-gyp build against Node's headers whatever --target says.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toLowerCase() !== 'npm_config_nodedir'));
const run = (command, args) => execFileSync(command, args, { cwd: buildDir, env, stdio: 'inherit', shell: process.platform === 'win32' });

// As better-sqlite3's own install does: a prebuilt binary if there is one, else a local build.
try {
  const prebuildInstall = createRequire(join(sqliteDir, 'package.json')).resolve('prebuild-install/bin.js');
  run(process.execPath, [prebuildInstall, '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch]);
} catch {
  const gypArgs = [
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${electronVersion}`,
    `--arch=${process.arch}`,
    '--dist-url=https://electronjs.org/headers',
  ];
  // npm tells its scripts where its bundled node-gyp is; outside npm, node-gyp must be on PATH.
  const nodeGyp = process.env.npm_config_node_gyp;
  try {
    if (nodeGyp) run(process.execPath, [nodeGyp, ...gypArgs]);
    else run('node-gyp', gypArgs);
  } catch {
    rmSync(buildDir, { recursive: true, force: true });
    console.error(`utterly: could not build better-sqlite3 for Electron ${electronVersion} (output above); the desktop app needs it, npm test does not`);
    process.exit(1);
  }
}

mkdirSync(outDir, { recursive: true });
copyFileSync(join(buildDir, 'build', 'Release', 'better_sqlite3.node'), binding);
writeFileSync(stampFile, stamp);
rmSync(buildDir, { recursive: true, force: true });
console.log(`utterly: built better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} into ${binding}`);
