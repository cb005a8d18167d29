// Where the desktop app refuses to start, and why.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_PLATFORMS, unsupportedPlatformReason } from '../../src/main/desktop/platform';

const ortBin = fileURLToPath(new URL('../../node_modules/onnxruntime-node/bin', import.meta.url));

/** platform/arch pairs for which the installed onnxruntime-node ships its binding. */
function onnxruntimeTargets(): string[] {
  const targets = new Set<string>();
  for (const napi of readdirSync(ortBin)) {
    for (const platform of readdirSync(join(ortBin, napi))) {
      for (const arch of readdirSync(join(ortBin, napi, platform))) {
        if (readdirSync(join(ortBin, napi, platform, arch)).includes('onnxruntime_binding.node')) targets.add(`${platform}/${arch}`);
      }
    }
  }
  return [...targets].sort();
}

describe('unsupportedPlatformReason', () => {
  it('refuses an Intel Mac, saying that Apple silicon is needed and why', () => {
    const reason = unsupportedPlatformReason('darwin', 'x64');
    expect(reason).toMatch(/Apple silicon/);
    expect(reason).toMatch(/Intel Macs/);
    expect(reason).toMatch(/onnxruntime-node/);
  });

  it('accepts the platforms onnxruntime-node has binaries for', () => {
    for (const [platform, arch] of [
      ['darwin', 'arm64'],
      ['linux', 'x64'],
      ['linux', 'arm64'],
      ['win32', 'x64'],
      ['win32', 'arm64'],
    ]) {
      expect(unsupportedPlatformReason(platform!, arch!), `${platform}/${arch}`).toBeUndefined();
    }
  });

  it('refuses any other platform or processor, naming it and where the app runs', () => {
    for (const [platform, arch] of [
      ['linux', 'ia32'],
      ['linux', 'arm'],
      ['win32', 'ia32'],
      ['freebsd', 'x64'],
      ['linux', 'riscv64'],
    ]) {
      const reason = unsupportedPlatformReason(platform!, arch!);
      expect(reason, `${platform}/${arch}`).toContain(`${platform} with ${arch}`);
      expect(reason).toMatch(/Apple silicon.*Linux and Windows on x64 or arm64/);
    }
  });

  it('knows exactly the targets of the installed onnxruntime-node', () => {
    // If an onnxruntime-node upgrade adds or drops a platform (an Intel Mac build, say), this
    // list, the message and electron-builder.yml's targets have to follow.
    expect(SUPPORTED_PLATFORMS.map(([platform, arch]) => `${platform}/${arch}`).sort()).toEqual(onnxruntimeTargets());
  });
});
