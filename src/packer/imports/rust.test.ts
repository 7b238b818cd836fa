import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rustImports } from './rust.js';
import { memRepo } from '../../../test/helpers/mem-repo.js';

function resolverFor(files: Record<string, string>): (from: string) => string[] {
  const repo = memRepo(rustImports, files);
  const resolve = rustImports.createResolver(repo);
  return (from) => resolve(from, repo.factsOf(from)!);
}

const recs = (text: string): string[] =>
  rustImports.extract(text, 'lib.rs').imports.map((r) => `${r.kind}:${r.spec}${r.names ? '{' + r.names.join(',') + '}' : ''}`);

describe('Rust extraction', () => {
  it('reads mod declarations, #[path] and extern crate', () => {
    const text = 'mod a;\npub mod b;\npub(crate) mod c;\n#[cfg(test)]\nmod tests { fn t() {} }\n#[path = "x/y.rs"]\nmod renamed;\nextern crate serde;\nmod inline { mod nested; }\n';
    assert.deepEqual(recs(text), ['mod:a', 'mod:b', 'mod:c', 'mod-path:x/y.rs{renamed}', 'extern-crate:serde', 'mod:inline::nested']);
  });

  it('reads use trees with groups, self, renames and globs', () => {
    const text = 'use crate::a::b::{c, d::e, self as f, g::*};\npub use super::x;\nuse self::m::N as O;\nuse std::io::{self, Write};\nuse ::abs::path;\nuse {one::two, three};\n';
    assert.deepEqual(recs(text), [
      'use:crate::a::b{c,d::e,self,g::*}', 'use:super::x', 'use:self::m::N', 'use:std::io{self,Write}', 'use:abs::path', 'use:{one::two,three}',
    ]);
  });

  it('rewrites self/super inside inline modules relative to the file module', () => {
    const text = 'mod tests {\n  use super::*;\n  use super::super::up;\n  use self::helpers::h;\n  mod helpers { use super::super::Thing; }\n}\nuse super::top;\n';
    assert.deepEqual(recs(text), ['use:self::*', 'use:super::up', 'use:self::tests::helpers::h', 'use:self::Thing', 'use:super::top']);
  });

  it('ignores mod/use in comments, strings, raw strings and macro bodies', () => {
    const text = [
      '// mod commented;', '/* mod block; /* nested */ use still::comment; */',
      'let s = "mod in_string; use a::b;";', 'let r = r#"mod raw; "use x::y;" "#;', "let c = '\"'; let l: &'static str = \"\";",
      "let b = b'\"'; let bs = b\"use q;\";",
      'macro_rules! m { () => { use $crate::x; mod $name; } }',
      'mod real;',
    ].join('\n');
    assert.deepEqual(recs(text), ['mod:real']);
  });
});

describe('Rust resolution', () => {
  const files: Record<string, string> = {
    'Cargo.toml': '[package]\nname = "my-crate"\n',
    'src/lib.rs': 'pub mod a;\nmod b;\n#[path = "platform/unix.rs"]\nmod sys;\npub use a::Thing;\npub struct Root;\n',
    'src/a.rs': 'mod inner;\nuse crate::b::{helper, deep::Item};\nuse super::Root;\nuse std::fmt;\nuse self::inner::X;\nmod tests { use super::*; use crate::sys; }\n',
    'src/a/inner.rs': 'use super::super::b;\nuse crate::a;\n',
    'src/b/mod.rs': 'pub mod deep;\nuse crate::*;\n',
    'src/b/deep.rs': 'use crate::a::inner::X as Y;\nuse crate::b::deep::Item;\n',
    'src/platform/unix.rs': '',
    'src/bin/tool.rs': 'use my_crate::a::Thing;\nmod util;\n',
    'src/bin/util.rs': '',
    'tests/it.rs': 'mod common;\nuse common::setup;\nuse my_crate::b;\n',
    'tests/common/mod.rs': 'use crate::missing;\n',
  };
  const resolve = resolverFor(files);

  it('resolves mod declarations next to mod-rs files and under non-mod-rs files, and #[path]', () => {
    assert.deepEqual(resolve('src/lib.rs'), ['src/a.rs', 'src/b/mod.rs', 'src/platform/unix.rs']);
  });

  it('resolves use paths to the deepest module file', () => {
    assert.deepEqual(resolve('src/a.rs'), ['src/a/inner.rs', 'src/b/deep.rs', 'src/b/mod.rs', 'src/lib.rs', 'src/platform/unix.rs']);
    assert.deepEqual(resolve('src/a/inner.rs'), ['src/a.rs', 'src/b/mod.rs']);
    assert.deepEqual(resolve('src/b/mod.rs'), ['src/b/deep.rs', 'src/lib.rs']);
    assert.deepEqual(resolve('src/b/deep.rs'), ['src/a/inner.rs']);
  });

  it('resolves other crates of the repository by library name, and integration tests as crate roots', () => {
    assert.deepEqual(resolve('src/bin/tool.rs'), ['src/a.rs', 'src/bin/util.rs']);
    assert.deepEqual(resolve('tests/it.rs'), ['src/b/mod.rs', 'tests/common/mod.rs']);
    assert.deepEqual(resolve('tests/common/mod.rs'), ['tests/it.rs']); // an unknown name is an item of the crate root
  });

  it('handles workspaces with several crates and [lib]/[[bin]] paths', () => {
    const ws = resolverFor({
      'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n',
      'crates/core-lib/Cargo.toml': '[package]\nname = "core-lib"\n[lib]\npath = "lib.rs"\n',
      'crates/core-lib/lib.rs': 'pub mod model;\n',
      'crates/core-lib/model.rs': '',
      'crates/app/Cargo.toml': '[package]\nname = "app"\n\n[[bin]]\nname = "app"\npath = "main.rs"\n',
      'crates/app/main.rs': 'use core_lib::model::Model;\nuse core_lib;\nmod cli;\n',
      'crates/app/cli.rs': 'use crate::Config;\nuse core_lib::model;\n',
    });
    assert.deepEqual(ws('crates/app/main.rs'), ['crates/app/cli.rs', 'crates/core-lib/lib.rs', 'crates/core-lib/model.rs']);
    assert.deepEqual(ws('crates/app/cli.rs'), ['crates/app/main.rs', 'crates/core-lib/model.rs']);
  });

  it('gives files no root reaches a module path from their place under src/', () => {
    const r = resolverFor({ 'Cargo.toml': '[package]\nname = "x"\n', 'src/lib.rs': '', 'src/orphan/thing.rs': 'use crate::orphan::other;\nuse super::other;\n', 'src/orphan/other.rs': '' });
    assert.deepEqual(r('src/orphan/thing.rs'), ['src/orphan/other.rs']);
  });
});

describe('rust extraction on arbitrary text', () => {
  it('terminates, never throws and is deterministic', () => {
    const atom = fc.constantFrom('use', 'mod', 'extern', 'crate', ' ', '::', '{', '}', ';', ',', '*', '#', '[', ']', 'path', '=', '"', "'", 'r#', 'b', '/', 'self', 'super', 'as', 'x', '\n');
    fc.assert(fc.property(fc.array(fc.oneof(atom, fc.string({ maxLength: 3 })), { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(rustImports.extract(text, 'a.rs'), rustImports.extract(text, 'a.rs'));
    }), { numRuns: 500 });
  });
});
