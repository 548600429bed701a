import { readdirSync, readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

// socket-base is the contract: no runtime dependency and no node:* runtime import. Allowed: relative imports, and
// type-only imports of node:* modules (erased at build time). Anything else is reported.

/** The forbidden import specifiers of one source file, as `kind specifier` strings. */
function forbiddenImports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const found: string[] = []
  const check = (specifier: string, typeOnly: boolean, kind: string) => {
    if (specifier.startsWith('./') || specifier.startsWith('../')) return
    if (typeOnly && specifier.startsWith('node:')) return
    found.push(`${kind} ${specifier}`)
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      // Under verbatimModuleSyntax only `import type` (or a clause whose every specifier is `type`) is erased.
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)))
      check(node.moduleSpecifier.text, typeOnly, 'import')
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      check(node.moduleSpecifier.text, node.isTypeOnly, 'export')
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const reference = node.moduleReference.expression
      if (ts.isStringLiteral(reference)) check(reference.text, node.isTypeOnly, 'import=')
    } else if (ts.isCallExpression(node)) {
      const [argument] = node.arguments
      const dynamic = node.expression.kind === ts.SyntaxKind.ImportKeyword
      const required = ts.isIdentifier(node.expression) && node.expression.text === 'require'
      if (dynamic || required) {
        if (argument !== undefined && ts.isStringLiteralLike(argument)) check(argument.text, false, 'call')
        else found.push('call <computed specifier>')
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal
      if (ts.isStringLiteral(literal)) check(literal.text, true, 'import()')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('the import checker', () => {
  test.each([
    [`import { readFile } from 'node:fs'`, ['import node:fs']],
    [`import fs from 'node:fs'`, ['import node:fs']],
    [`import * as net from 'node:net'`, ['import node:net']],
    [`import 'node:net'`, ['import node:net']],
    [`import { type Socket, connect } from 'node:net'`, ['import node:net']],
    [`import { EventEmitter } from 'events'`, ['import events']],
    [`import { z } from 'zod'`, ['import zod']],
    [`import type { ZodType } from 'zod'`, ['import zod']],
    [`export { x } from '@socketlite/sending-queue'`, ['export @socketlite/sending-queue']],
    [`export * from 'node:events'`, ['export node:events']],
    [`const m = await import('node:fs')`, ['call node:fs']],
    [`const m = require('node:fs')`, ['call node:fs']],
    [`const name = 'fs'; const m = await import(name)`, ['call <computed specifier>']],
    [`import fs = require('node:fs')`, ['import= node:fs']],
    [`let x: import('zod').ZodType`, ['import() zod']],
  ])('reports %s', (text, expected) => {
    expect(forbiddenImports('fixture.ts', text)).toEqual(expected)
  })

  test.each([
    `import { CloseReason } from './close-reason.js'`,
    `export { x } from '../other.js'`,
    `import type { Socket } from 'node:net'`,
    `import { type Socket } from 'node:net'`,
    `export type { Socket } from 'node:net'`,
    `let x: import('node:net').Socket`,
    `const text = "import { a } from 'node:fs'"`,
  ])('allows %s', (text) => {
    expect(forbiddenImports('fixture.ts', text)).toEqual([])
  })
})

test('no file of socket-base/src imports a package or has a runtime node: import', () => {
  const directory = new URL('../src/', import.meta.url)
  const files = readdirSync(directory).filter((name) => name.endsWith('.ts'))
  expect(files).toContain('index.ts')
  expect(files.length).toBeGreaterThanOrEqual(9)
  const problems = files.flatMap((name) =>
    forbiddenImports(name, readFileSync(new URL(name, directory), 'utf8')).map((found) => `${name}: ${found}`),
  )
  expect(problems).toEqual([])
})
