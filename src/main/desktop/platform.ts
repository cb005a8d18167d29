// Where the desktop app can run. Speech detection (Silero VAD) runs on onnxruntime-node, whose
// package ships prebuilt binaries for a fixed set of platforms (bin/napi-v*/<platform>/<arch>/)
// and nothing else: elsewhere the VAD process could not even load it. Notably there is no
// darwin-x64 build, so Intel Macs are not supported (the macOS release is arm64 only:
// electron-builder.yml). test/desktop/platform.test.ts keeps this list equal to the package's.

/** The `process.platform`/`process.arch` pairs onnxruntime-node has binaries for. */
export const SUPPORTED_PLATFORMS: ReadonlyArray<readonly [platform: string, arch: string]> = [
  ['darwin', 'arm64'],
  ['linux', 'x64'],
  ['linux', 'arm64'],
  ['win32', 'x64'],
  ['win32', 'arm64'],
];

const SUPPORTED_TEXT = 'macOS on Apple silicon, and Linux and Windows on x64 or arm64';

/**
 * Why Utterly cannot run on this platform and processor (`process.platform`, `process.arch`),
 * in words for the person trying to start it, or undefined where it can.
 */
export function unsupportedPlatformReason(platform: string, arch: string): string | undefined {
  if (SUPPORTED_PLATFORMS.some(([p, a]) => p === platform && a === arch)) return undefined;
  if (platform === 'darwin' && arch === 'x64') {
    return 'Utterly needs a Mac with Apple silicon (M1 or later). The speech detection it runs on (onnxruntime-node) has no version for Intel Macs.';
  }
  return `Utterly does not run on ${platform} with ${arch} processors: the speech detection it runs on (onnxruntime-node) has no version for them. It runs on ${SUPPORTED_TEXT}.`;
}
