import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: process.env.VITEST_REPORT ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    testTimeout: 20_000,
  },
})
