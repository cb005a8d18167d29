// Assembles the resampler's WebAssembly kernel (src/main/engine/resampler-kernel.wat) into
// src/main/engine/resampler-kernel-wasm.ts, the bytes as base64, so that every way the engine is
// loaded (the bundles, vitest, tsx) gets them without a loader of its own. Run it after changing
// the .wat: `node scripts/build-resampler-kernel.mjs`; test/engine/resampler.test.ts fails until
// the two agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtModule from 'wabt';

const source = fileURLToPath(new URL('../src/main/engine/resampler-kernel.wat', import.meta.url));
const target = fileURLToPath(new URL('../src/main/engine/resampler-kernel-wasm.ts', import.meta.url));

/** The kernel's bytes, as base64. */
export async function assembleKernel() {
  const wabt = await wabtModule();
  const module = wabt.parseWat('resampler-kernel.wat', readFileSync(source, 'utf8'), { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer).toString('base64');
  } finally {
    module.destroy();
  }
}

/** The TypeScript module that holds them. */
export const kernelModuleText = (base64) =>
  `// Made by scripts/build-resampler-kernel.mjs from resampler-kernel.wat: do not edit.\nexport const RESAMPLER_KERNEL_BASE64 =\n  '${base64}';\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) writeFileSync(target, kernelModuleText(await assembleKernel()));
