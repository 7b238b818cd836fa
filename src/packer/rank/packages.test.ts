import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LexicalIndex } from './lexicalIndex.js';
import { packageDescriptions } from './packages.js';

const FILES: Record<string, string> = {
  'package.json': '{ "description": "The whole monorepo" }',
  'README.md': 'A monorepo.',
  'packages/regenerator/package.json': '{ "name": "regenerator", "description": "Explode generator functions into a state machine." }',
  'packages/regenerator/src/index.ts': 'export default function plugin() {}\n',
  'packages/regenerator/test/fixtures/broken/package.json': '{ "description": ',
  'packages/regenerator/test/fixtures/broken/input.js': 'function* g() {}\n',
  'packages/template/package.json': '{ "name": "template" }',
  'packages/template/src/parse.ts': 'export function parse() {}\n',
  'crates/lexer/Cargo.toml': '[package]\nname = "lexer"\ndescription = "Splits source text into tokens"\n',
  'crates/lexer/src/lib.rs': 'pub fn next() {}\n',
  'py/tool/pyproject.toml': '[project]\nname = "tool"\ndescription = "Formats config files"\n',
  'py/tool/tool/main.py': 'def main(): pass\n',
};
const paths = Object.keys(FILES).sort();
const describe = packageDescriptions(paths, (i) => FILES[paths[i]!]!);
const of = (path: string): string | undefined => describe(paths.indexOf(path));

test('a file gets the description of the nearest package above it, from package.json, Cargo.toml or pyproject.toml', () => {
  assert.equal(of('packages/regenerator/src/index.ts'), 'Explode generator functions into a state machine.');
  assert.equal(of('packages/regenerator/package.json'), 'Explode generator functions into a state machine.');
  // a fixture's broken manifest describes nothing, so the package's description reaches its files
  assert.equal(of('packages/regenerator/test/fixtures/broken/input.js'), 'Explode generator functions into a state machine.');
  assert.equal(of('crates/lexer/src/lib.rs'), 'Splits source text into tokens');
  assert.equal(of('py/tool/tool/main.py'), 'Formats config files');
});

test('the root manifest and packages without a description describe nothing', () => {
  assert.equal(of('README.md'), undefined);
  assert.equal(of('packages/template/src/parse.ts'), undefined);
  assert.equal(packageDescriptions(['a.ts', 'b/c.ts'], () => '')(1), undefined);
});

test('the lexical index finds a file by its package description, as a path word', () => {
  const index = LexicalIndex.build({ paths, text: (i) => FILES[paths[i]!]!, describe });
  const found = index.search('compiled into a state machine', { path: 3, identifiers: 2, text: 1 }).map((r) => paths[r.id as number]);
  assert.ok(found.includes('packages/regenerator/src/index.ts'), found.join(', '));
  const plain = LexicalIndex.build({ paths, text: (i) => FILES[paths[i]!]! });
  const without = plain.search('compiled into a state machine', { path: 3, identifiers: 2, text: 1 }).map((r) => paths[r.id as number]);
  assert.ok(!without.includes('packages/regenerator/src/index.ts'), without.join(', '));
});
