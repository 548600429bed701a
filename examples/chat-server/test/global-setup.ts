import { buildIfStale } from '@socketlite/testing'

/** The main test runs the BUILT `dist/main.js`: build it when missing or stale, so this package tests on its own. */
export default (): void => buildIfStale(new URL('..', import.meta.url))
