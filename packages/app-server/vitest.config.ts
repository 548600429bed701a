import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // The README example imports the package by name; tests run it against the source.
    alias: { '@socketlite/app-server': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (`expectTypeOf`): the config types of socket-base against the schema's.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    reporters: process.env.VITEST_REPORT ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    testTimeout: 20_000,
  },
})
