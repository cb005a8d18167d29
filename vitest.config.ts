import { defineConfig } from 'vitest/config';

/**
 * Tests of pure code and of storage on its own: no worker process, no server, no browser, so no
 * bundles to build first (`npm run test:unit`). Everything else needs out/node and out/renderer,
 * which the global setup builds.
 */
const UNIT = [
  'test/engine/pcm.test.ts',
  'test/engine/resampler.test.ts',
  'test/engine/wav-source.test.ts',
  'test/engine/codec-source.test.ts',
  'test/engine/line-reader.test.ts',
  'test/engine/pool-size.test.ts',
  'test/storage/storage.test.ts',
  'test/storage/log-file.test.ts',
  'test/storage/export-stream.test.ts',
  'test/storage/export-formats.test.ts',
  'test/storage/titles.test.ts',
  'test/renderer/**/*.test.ts',
  'test/desktop/platform.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: UNIT, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
