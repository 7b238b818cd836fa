import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { goImports } from './go.js';
import { memRepo } from '../../../test/helpers/mem-repo.js';

/** `files` are packed; `config` files (go.mod) are readable but not packed, as in a real index. */
function edges(files: Record<string, string>, config: Record<string, string>, from: string): string[] {
  const repo = memRepo(goImports, files, config);
  return goImports.createResolver(repo)(from, repo.factsOf(from)!);
}

describe('Go import extraction', () => {
  it('reads single and grouped imports with aliases, _ and .', () => {
    const text = [
      '// Copyright', '//go:build linux', '', '/* doc */ package foo // trailing', '',
      'import "fmt"', 'import alias "a/b"', 'import (', '\t"c/d"', '\tx "e/f" // comment "g/h"', '\t_ "i/j"', '\t. "k/l"', '\t/* "m/n" */', '\t`raw/path`', ')',
      'import ( "o"; "p" )',
      'func main() {}', 'import "after/decl"',
    ].join('\n');
    const facts = goImports.extract(text, 'x.go');
    assert.equal(facts.packageName, 'foo');
    assert.deepEqual(facts.imports.map((r) => r.spec), ['fmt', 'a/b', 'c/d', 'e/f', 'i/j', 'k/l', 'raw/path', 'o', 'p']);
  });

  it('ignores import-like text in strings and comments after the header', () => {
    const text = 'package x\n\nimport "a"\n\nvar s = `\nimport "b"\n`\n// import "c"\n';
    assert.deepEqual(goImports.extract(text, 'x.go').imports.map((r) => r.spec), ['a']);
  });

  it('yields nothing for a file without a package clause', () => {
    assert.deepEqual(goImports.extract('import "a"\n', 'x.go'), { imports: [] });
  });
});

describe('Go import resolution', () => {
  const config = { 'go.mod': 'module example.com/proj\n\ngo 1.20\n\nreplace example.com/ext => ./third_party/ext\n' };
  const files = {
    'main.go': 'package main\nimport (\n "example.com/proj/lib"\n "example.com/proj/cmd"\n "fmt"\n "example.com/ext/sub"\n "vendored.org/v"\n)\n',
    'lib/a.go': 'package lib\n', 'lib/b.go': 'package lib\nimport "example.com/proj/lib/inner"\n', 'lib/a_test.go': 'package lib\n',
    'lib/ext_test.go': 'package lib_test\nimport "example.com/proj/lib"\n',
    'lib/inner/i.go': 'package inner\n',
    'cmd/main.go': 'package main\n', 'cmd/gen.go': 'package main\n',
    'tools/gen.go': 'package main\n', 'tools/lib.go': 'package tools\n',
    'third_party/ext/sub/s.go': 'package sub\n',
    'vendor/vendored.org/v/v.go': 'package v\n',
  };

  it('maps module paths to directories and links every non-test file of the package', () => {
    assert.deepEqual(edges(files, config, 'main.go'), ['cmd/gen.go', 'cmd/main.go', 'lib/a.go', 'lib/b.go', 'third_party/ext/sub/s.go', 'vendor/vendored.org/v/v.go']);
    assert.deepEqual(edges(files, config, 'lib/b.go'), ['lib/inner/i.go']);
  });

  it('an external test package links to its own directory, never to itself or test files', () => {
    assert.deepEqual(edges(files, config, 'lib/ext_test.go'), ['lib/a.go', 'lib/b.go']);
  });

  it('skips package main files when the directory has another package', () => {
    assert.deepEqual(edges({ ...files, 'x.go': 'package x\nimport "example.com/proj/tools"\n' }, config, 'x.go'), ['tools/lib.go']);
  });

  it('uses the nearest go.mod and sees the other modules of the repo', () => {
    const cfg = { 'go.mod': 'module example.com/root\n', 'sub/go.mod': 'module "example.com/sub" // own module\n' };
    const fs = {
      'a.go': 'package a\nimport "example.com/sub/pkg"\n',
      'sub/pkg/p.go': 'package pkg\nimport "example.com/sub/other"\nimport "example.com/root/b"\n',
      'sub/other/o.go': 'package other\n',
      'b/b.go': 'package b\n',
    };
    assert.deepEqual(edges(fs, cfg, 'a.go'), ['sub/pkg/p.go']);
    assert.deepEqual(edges(fs, cfg, 'sub/pkg/p.go'), ['b/b.go', 'sub/other/o.go']);
  });

  it('without go.mod, resolves host-qualified paths by a unique directory suffix', () => {
    const fs = { 'src/github.com/u/r/x/x.go': 'package x\n', 'src/github.com/u/r/main.go': 'package main\nimport "github.com/u/r/x"\nimport "strings"\n' };
    assert.deepEqual(edges(fs, {}, 'src/github.com/u/r/main.go'), ['src/github.com/u/r/x/x.go']);
  });
});

describe('go extraction on arbitrary text', () => {
  it('terminates, never throws and is deterministic', () => {
    const atom = fc.constantFrom('package', 'import', ' ', 'p', '\n', '"', '`', '(', ')', '/', '*', '_', '.', ';', 'a/b');
    fc.assert(fc.property(fc.array(fc.oneof(atom, fc.string({ maxLength: 3 })), { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(goImports.extract(text, 'a.go'), goImports.extract(text, 'a.go'));
    }), { numRuns: 500 });
  });
});
