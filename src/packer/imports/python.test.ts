import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pythonImports } from './python.js';
import { memRepo } from '../../../test/helpers/mem-repo.js';

function edges(files: Record<string, string>, from: string): string[] {
  const repo = memRepo(pythonImports, files);
  return pythonImports.createResolver(repo)(from, repo.factsOf(from)!);
}

const recs = (text: string): string[] =>
  pythonImports.extract(text, 'm.py').imports.map((r) => `${r.kind}:${r.spec}${r.names ? ':' + r.names.join(',') : ''}`);

describe('Python import extraction', () => {
  it('reads the import forms', () => {
    assert.deepEqual(recs('import a.b.c\nimport a as b, c\nfrom a.b import c, d\nfrom . import x\nfrom ..pkg.mod import y as z\nfrom .mod import *\n'), [
      'import:a.b.c', 'import:a', 'import:c', 'from:a.b:c,d', 'from:.:x', 'from:..pkg.mod:y', 'from:.mod:*',
    ]);
  });

  it('joins parenthesised lists with comments, and backslash continuations', () => {
    const text = 'from x import (\n    a,  # the a\n    b as bb,\n)\nfrom y \\\n    import c, \\\n    d\nimport p.q \\\n  as r\n';
    assert.deepEqual(recs(text), ['from:x:a,b', 'from:y:c,d', 'import:p.q']);
  });

  it('finds imports inside functions, try blocks, one-liners and after semicolons', () => {
    const text = [
      'def f():', '    import inner', '    if x:', '        from deep import thing',
      'try: import fast', 'except ImportError: import slow',
      'x = 1; import after_semi',
      'class C:', '    from cls import m',
    ].join('\n');
    assert.deepEqual(recs(text), ['import:inner', 'from:deep:thing', 'import:fast', 'import:slow', 'import:after_semi', 'from:cls:m']);
  });

  it('ignores imports in comments and strings of every kind', () => {
    const text = [
      '# import commented',
      's = "import in_string"',
      "t = 'from x import y'",
      'doc = """',
      'import in_triple',
      'from a import b',
      '"""',
      "r = r'\\'import raw'",
      "f = f'{x}' ; g = b'import bytes'",
      "u = '''from q import w'''",
      'print("x", "import z")',
      'import real',
    ].join('\n');
    assert.deepEqual(recs(text), ['import:real']);
  });

  it('does not take `from`/`import` that do not start a statement', () => {
    const text = 'def g():\n    yield from gen()\n    raise E from err\nx = foo(import_=1)\nimportant = 2\nfrom_here = 3\n';
    assert.deepEqual(recs(text), []);
  });

  it('handles a docstring with an escaped quote and an unterminated line string', () => {
    assert.deepEqual(recs('"""a \\""" still"""\nimport a\nx = "oops\nimport b\n'), ['import:a', 'import:b']);
  });
});

describe('Python import resolution', () => {
  const pkg = {
    'setup.py': 'import setuptools\n',
    'proj/__init__.py': '',
    'proj/core.py': 'from . import util\nfrom .util import helper\nfrom .sub import deep\nfrom . import not_a_module\nimport proj.sub.deep\nimport os\n',
    'proj/util.py': 'from proj import core\nfrom proj import VERSION\nfrom .. import nothing\n',
    'proj/sub/__init__.py': 'from .deep import *\nfrom ..util import helper\nfrom . import deep\n',
    'proj/sub/deep.py': 'from ...proj import core\nfrom .. import util\n',
  };

  it('resolves relative imports against the package', () => {
    assert.deepEqual(edges(pkg, 'proj/core.py'), ['proj/__init__.py', 'proj/sub/deep.py', 'proj/util.py']);
    assert.deepEqual(edges(pkg, 'proj/sub/__init__.py'), ['proj/sub/deep.py', 'proj/util.py']);
    assert.deepEqual(edges(pkg, 'proj/sub/deep.py'), ['proj/util.py']);
  });

  it('`from a import b`: the submodule if b is one, else the package', () => {
    assert.deepEqual(edges(pkg, 'proj/util.py'), ['proj/__init__.py', 'proj/core.py']);
  });

  it('`import a.b.c` yields only the module itself, not its parents', () => {
    assert.deepEqual(edges({ ...pkg, 'x.py': 'import proj.sub.deep\nimport proj.sub\nimport proj.missing\n' }, 'x.py'), ['proj/sub/__init__.py', 'proj/sub/deep.py']);
  });

  it('finds src/ layouts, test roots and roots marked by pyproject.toml', () => {
    const files = {
      'src/lib/__init__.py': '', 'src/lib/a.py': '',
      'tests/app_one/__init__.py': '', 'tests/app_one/models.py': 'from app_two.models import M\nfrom lib import a\n',
      'tests/app_two/__init__.py': '', 'tests/app_two/models.py': '',
      'tools/pyproject.toml': '', 'tools/helper.py': '', 'tools/sub/run.py': 'import helper\n',
    };
    assert.deepEqual(edges(files, 'tests/app_one/models.py'), ['src/lib/a.py', 'tests/app_two/models.py']);
    assert.deepEqual(edges(files, 'tools/sub/run.py'), ['tools/helper.py']);
  });

  it('a script outside any package imports its siblings first', () => {
    const files = { 'scripts/run.py': 'import helper\nfrom helper import x\n', 'scripts/helper.py': '', 'helper.py': '' };
    assert.deepEqual(edges(files, 'scripts/run.py'), ['scripts/helper.py']);
  });

  it('supports namespace packages (no __init__.py)', () => {
    const files = { 'ns/mod.py': '', 'ns/deeper/leaf.py': '', 'main.py': 'import ns.mod\nfrom ns import deeper\nfrom ns.deeper import leaf\nfrom ns import mod\nimport ns\n' };
    assert.deepEqual(edges(files, 'main.py'), ['ns/deeper/leaf.py', 'ns/mod.py']);
  });

  it('resolves relative imports inside namespace packages, and not beyond the top-level package', () => {
    const files = { 'ns/sub/a.py': 'from .. import b\nfrom . import c\nfrom ... import nothing\n', 'ns/b.py': '', 'ns/sub/c.py': '', 'nothing.py': '' };
    assert.deepEqual(edges(files, 'ns/sub/a.py'), ['ns/b.py', 'ns/sub/c.py']);
  });

  it('prefers a regular package over a namespace portion, and a module file over its .pyi stub', () => {
    const files = { 'x/y.py': '', 'src/x/__init__.py': '', 'src/x/y.py': '', 'main.py': 'import x\nimport x.y\nimport m\n', 'm.py': '', 'm.pyi': '' };
    assert.deepEqual(edges(files, 'main.py'), ['m.py', 'src/x/__init__.py', 'src/x/y.py']);
  });

  it('never returns the file itself', () => {
    const files = { 'p/__init__.py': 'from . import helper\nfrom p import thing\n' };
    assert.deepEqual(edges(files, 'p/__init__.py'), []);
  });
});

describe('python extraction on arbitrary text', () => {
  it('terminates, never throws and is deterministic', () => {
    const atom = fc.constantFrom('import', 'from', ' ', '.', '\n', '\\', '"', "'", '"""', '#', '(', ')', ',', ':', ';', 'a', 'as', 'r', 'f', '\r');
    fc.assert(fc.property(fc.array(fc.oneof(atom, fc.string({ maxLength: 3 })), { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(pythonImports.extract(text, 'a.py'), pythonImports.extract(text, 'a.py'));
    }), { numRuns: 500 });
  });
});
