import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every test here talks to a real redis-server: make sure one can be started (installs it as root, or fails
    // with the command to run; never a silent skip).
    globalSetup: ['./test/global-setup.ts'],
    reporters: process.env.VITEST_REPORT ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
