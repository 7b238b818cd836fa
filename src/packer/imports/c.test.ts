import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cImports } from './c.js';
import { memRepo } from '../../../test/helpers/mem-repo.js';

function edges(files: Record<string, string>, from: string): string[] {
  const repo = memRepo(cImports, files);
  return cImports.createResolver(repo)(from, repo.factsOf(from)!);
}

const specs = (text: string): string[] => cImports.extract(text, 'a.c').imports.map((r) => `${r.kind}:${r.spec}`);

describe('C/C++ include extraction', () => {
  it('reads local and system includes with whitespace variants', () => {
    assert.deepEqual(specs('#include "a.h"\n#  include <stdio.h>\n  #\tinclude"b/c.h"\n#import <Foundation/Foundation.h>\n'), [
      'include-local:a.h', 'include-system:stdio.h', 'include-local:b/c.h', 'include-system:Foundation/Foundation.h',
    ]);
  });

  it('ignores includes in comments and strings', () => {
    const text = [
      '/* #include "a.h" */',
      '// #include "b.h"',
      'const char *s = "#include \\"c.h\\"";',
      'const char *t = "\\n#include <d.h>";',
      '/*',
      '#include "e.h"',
      '*/',
      'auto r = R"x(',
      '#include "f.h"',
      ')x";',
      '// a comment that continues \\',
      '#include "g.h"',
      '#include "ok.h" // #include "h.h"',
    ].join('\n');
    assert.deepEqual(specs(text), ['include-local:ok.h']);
  });

  it('accepts a block comment before the hash and directives split by backslash-newline', () => {
    assert.deepEqual(specs('/* x */ #include "a.h"\n#include \\\n  "b.h"\n#include /* c */ <c.h>\nint x; #include "no.h"\n'), [
      'include-local:a.h', 'include-local:b.h', 'include-system:c.h',
    ]);
  });

  it('skips #if 0 blocks, keeps #else of #if 0, skips #else of #if 1', () => {
    const text = [
      '#if 0', '#include "dead.h"', '#ifdef X', '#include "dead2.h"', '#endif', '#else', '#include "live.h"', '#endif',
      '#if 1', '#include "one.h"', '#else', '#include "dead3.h"', '#endif',
      '#ifdef HAVE_X', '#include "x.h"', '#else', '#include "y.h"', '#endif',
      "#error don't stop here",
      '#include "after.h"',
    ].join('\n');
    assert.deepEqual(specs(text), ['include-local:live.h', 'include-local:one.h', 'include-local:x.h', 'include-local:y.h', 'include-local:after.h']);
  });

  it('skips computed includes and records include_next separately', () => {
    assert.deepEqual(specs('#define H "a.h"\n#include H\n#include_next <limits.h>\n'), ['include-next:limits.h']);
  });

  it('handles CRLF line endings and continued // comments', () => {
    assert.deepEqual(specs('#include "a.h"\r\n// note \\\r\n#include "hidden.h"\r\n#include \\\r\n "b.h"\r\n'), ['include-local:a.h', 'include-local:b.h']);
  });

  it('does not stop at an apostrophe in a digit separator or char literal', () => {
    assert.deepEqual(specs("int x = 1'000;\nchar c = '\"';\n#include \"a.h\"\n"), ['include-local:a.h']);
  });
});

describe('C/C++ include resolution', () => {
  it('resolves a local include relative to the file first', () => {
    const files = { 'src/a.c': '#include "util.h"\n#include "../lib/x.h"\n', 'src/util.h': '', 'lib/util.h': '', 'lib/x.h': '' };
    assert.deepEqual(edges(files, 'src/a.c'), ['lib/x.h', 'src/util.h']);
  });

  it('uses directories named include for local and system includes', () => {
    const files = { 'src/a.c': '#include <proj/api.h>\n#include "proj/other.h"\n', 'include/proj/api.h': '', 'include/proj/other.h': '' };
    assert.deepEqual(edges(files, 'src/a.c'), ['include/proj/api.h', 'include/proj/other.h']);
  });

  it('among several include dirs, takes the nearest, else the top-most', () => {
    const files = {
      'drivers/net/x.c': '#include <linux/list.h>\n', 'tools/perf/y.c': '#include <linux/list.h>\n',
      'include/linux/list.h': '', 'tools/include/linux/list.h': '',
    };
    assert.deepEqual(edges(files, 'drivers/net/x.c'), ['include/linux/list.h']);
    assert.deepEqual(edges(files, 'tools/perf/y.c'), ['tools/include/linux/list.h']);
  });

  it('never resolves standard headers by suffix, and resolves to nothing outside the repo', () => {
    const files = { 'src/a.c': '#include <stdio.h>\n#include <strings.h>\n#include <sys/types.h>\n', 'deps/compat/strings.h': '', 'deps/compat/sys/types.h': '' };
    assert.deepEqual(edges(files, 'src/a.c'), []);
  });

  it('falls back to a unique path-suffix match, preferring the closest when several match', () => {
    const files = {
      'src/a.c': '#include "hiredis.h"\n#include <lua.h>\n#include "dup.h"\n',
      'deps/hiredis/hiredis.h': '', 'deps/lua/src/lua.h': '',
      'src/sub/dup.h': '', 'other/dup.h': '',
    };
    assert.deepEqual(edges(files, 'src/a.c'), ['deps/hiredis/hiredis.h', 'deps/lua/src/lua.h', 'src/sub/dup.h']);
  });

  it('resolves an ambiguous suffix match to nothing', () => {
    const files = { 'src/a.c': '#include "dup.h"\n', 'x/dup.h': '', 'y/dup.h': '' };
    assert.deepEqual(edges(files, 'src/a.c'), []);
  });

  it('an angled include does not pick the same-named header next to the includer', () => {
    const files = { 'src/a.c': '#include <sds.h>\n#include "sds.h"\n', 'src/b.c': '#include <sds.h>\n', 'src/sds.h': '', 'deps/hiredis/sds.h': '' };
    assert.deepEqual(edges(files, 'src/a.c'), ['deps/hiredis/sds.h', 'src/sds.h']);
    assert.deepEqual(edges(files, 'src/b.c'), ['deps/hiredis/sds.h']);
  });

  it('never returns the file itself and de-duplicates', () => {
    const files = { 'a.h': '#include "a.h"\n#include "b.h"\n#include "./b.h"\n', 'b.h': '' };
    assert.deepEqual(edges(files, 'a.h'), ['b.h']);
  });

  it('handles C++ extensions and includes of .c/.inl files', () => {
    const files = { 'src/x.cpp': '#include "x.hpp"\n#include "impl.inl"\n#include "tbl.c"\n', 'src/x.hpp': '', 'src/impl.inl': '', 'src/tbl.c': '' };
    assert.deepEqual(edges(files, 'src/x.cpp'), ['src/impl.inl', 'src/tbl.c', 'src/x.hpp']);
  });
});

describe('c extraction on arbitrary text', () => {
  it('terminates, never throws and is deterministic', () => {
    const atom = fc.constantFrom('#', 'include', ' ', '\n', '\\', '"', "'", '<', '>', '/', '*', 'if 0', 'else', 'endif', 'R"x(', ')x"', 'a.h', '\r');
    fc.assert(fc.property(fc.array(fc.oneof(atom, fc.string({ maxLength: 3 })), { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(cImports.extract(text, 'a.c'), cImports.extract(text, 'a.c'));
    }), { numRuns: 500 });
  });
});
