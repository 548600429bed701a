import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: false, // the tarball ships dist/ only: readable ESM and one .d.ts with the JSDoc
  clean: true,
  target: 'node20',
  platform: 'node',
})
