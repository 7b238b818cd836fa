import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jvmImports, kotlinTopLevelNames } from './jvm.js';
import { memRepo } from '../../../test/helpers/mem-repo.js';

function resolverFor(files: Record<string, string>): (from: string) => string[] {
  const repo = memRepo(jvmImports, files);
  const resolve = jvmImports.createResolver(repo);
  return (from) => resolve(from, repo.factsOf(from)!);
}

describe('Java/Kotlin extraction', () => {
  it('reads Java package, imports, wildcards and static imports', () => {
    const text = '/* header */\npackage com.acme.app;\n\nimport java.util.List;\nimport com.acme.util.*;\nimport static com.acme.Consts.MAX;\nimport static org.junit.Assert.*;\nimport com.acme\n  .split.Name;\n\npublic class A { String s = "import x.y.Z;"; }\nimport after.Body;\n';
    const facts = jvmImports.extract(text, 'A.java');
    assert.equal(facts.packageName, 'com.acme.app');
    assert.deepEqual(facts.imports.map((r) => `${r.kind}:${r.spec}`), [
      'import:java.util.List', 'import:com.acme.util.*', 'import-static:com.acme.Consts.MAX', 'import-static:org.junit.Assert.*', 'import:com.acme.split.Name',
    ]);
  });

  it('reads Kotlin headers without semicolons, with aliases and backticks, after file annotations', () => {
    const text = '@file:JvmName("Utils")\n/* /* nested */ import not.This */\npackage a.b\n\nimport x.y.Z as W\nimport x.`fun`.Q\nimport p.*\n// import no.Comment\n\nfun main() {}\n';
    const facts = jvmImports.extract(text, 'Main.kt');
    assert.equal(facts.packageName, 'a.b');
    assert.deepEqual(facts.imports.map((r) => r.spec), ['x.y.Z', 'x.fun.Q', 'p.*']);
  });

  it('ignores imports inside strings and stops at the first declaration', () => {
    const java = jvmImports.extract('@Generated(value = "import a.B;\\" ;")\npackage p;\nimport real.C;\nclass A {}\nimport after.Decl;\n', 'package-info.java');
    assert.deepEqual(java, { imports: [{ spec: 'real.C', kind: 'import' }], packageName: 'p' });
    const kotlin = jvmImports.extract('@file:Suppress(\n  "import x.Y",\n  """import z.W"""\n)\npackage k\nimport real.One\nval s = "x"\nimport not.Header\n', 'A.kt');
    assert.deepEqual(kotlin, { imports: [{ spec: 'real.One', kind: 'import' }], packageName: 'k' });
  });

  it('lists Kotlin top-level declarations, not members or constructor parameters', () => {
    const text = [
      'package k', '', 'fun top() {}', 'fun <T> List<T>.ext(): Int = 1', 'fun (suspend () -> Unit).onFn() {}', 'val String.prop: Int get() = 1',
      'private const val MAX = 3', 'data class Point(val x: Int, val y: Int) { fun inner() {} }', 'sealed interface Shape',
      'object Single { val member = 1 }', 'typealias Alias = Point', 'enum class Color { RED }', 'fun interface Action { fun run() }',
      'val s = "${ "nested { " + 1 }" ', 'internal class `Weird Name`', 'class Later',
    ].join('\n');
    assert.deepEqual(kotlinTopLevelNames(text), ['top', 'ext', 'onFn', 'prop', 'MAX', 'Point', 'Shape', 'Single', 'Alias', 'Color', 'Action', 's', 'Weird Name', 'Later']);
  });
});

describe('Java/Kotlin resolution', () => {
  const files = {
    'src/main/java/com/acme/app/App.java': 'package com.acme.app;\nimport com.acme.util.Strings;\nimport com.acme.util.Strings.Inner;\nimport static com.acme.util.Numbers.parse;\nimport java.util.List;\nimport com.acme.model.*;\nclass App { User u; }\n',
    'src/main/java/com/acme/app/Helper.java': 'package com.acme.app;\nclass Helper {}\n',
    'src/main/java/com/acme/util/Strings.java': 'package com.acme.util;\nimport com.acme.util.Strings;\n',
    'src/main/java/com/acme/util/Numbers.java': 'package com.acme.util;\n',
    'src/main/java/com/acme/model/User.java': 'package com.acme.model;\n',
    'src/main/java/com/acme/model/Order.java': 'package com.acme.model;\n',
    'src/main/kotlin/com/acme/kt/Extensions.kt': 'package com.acme.kt\n\nfun String.shout() = uppercase()\nclass Box\n',
    'src/main/kotlin/com/acme/kt/Use.kt': 'package com.acme.kt.use\nimport com.acme.kt.shout\nimport com.acme.kt.Box as B\nimport com.acme.app.App\nimport com.acme.kt.ExtensionsKt\n',
    'src/main/java/com/acme/app/FromJava.java': 'package com.acme.app;\nimport com.acme.kt.ExtensionsKt;\nimport com.acme.kt.*;\nclass FromJava { void f() { new Box(); } }\n',
    'src/test/java/com/acme/app/AppTest.java': 'package com.acme.app;\nimport com.acme.testing.Fixtures;\nimport com.acme.util.Strings;\n',
    'src/test/java/com/acme/testing/Fixtures.java': 'package com.acme.testing;\n',
    'src/main/java/com/acme/app/Bad.java': 'package com.acme.app;\nimport com.acme.testing.Fixtures;\n',
  };
  const resolve = resolverFor(files);

  it('maps package + class name to the file, nested classes and static members to the outer file', () => {
    assert.deepEqual(resolve('src/main/java/com/acme/app/App.java'), [
      'src/main/java/com/acme/model/User.java', 'src/main/java/com/acme/util/Numbers.java', 'src/main/java/com/acme/util/Strings.java',
    ]);
  });

  it('a wildcard import reaches the files of the package whose names the importer uses', () => {
    assert.deepEqual(resolve('src/main/java/com/acme/app/FromJava.java'), ['src/main/kotlin/com/acme/kt/Extensions.kt']);
  });

  it('resolves Kotlin top-level functions, aliased imports, Java classes and the Kt facade', () => {
    assert.deepEqual(resolve('src/main/kotlin/com/acme/kt/Use.kt'), ['src/main/java/com/acme/app/App.java', 'src/main/kotlin/com/acme/kt/Extensions.kt']);
  });

  it('test sources are visible to tests only; no self edges; same-package classes are not edges', () => {
    assert.deepEqual(resolve('src/test/java/com/acme/app/AppTest.java'), ['src/main/java/com/acme/util/Strings.java', 'src/test/java/com/acme/testing/Fixtures.java']);
    assert.deepEqual(resolve('src/main/java/com/acme/app/Bad.java'), []);
    assert.deepEqual(resolve('src/main/java/com/acme/util/Strings.java'), []);
    assert.deepEqual(resolve('src/main/java/com/acme/app/Helper.java'), []);
  });

  it('among several declarations of one name (expect/actual), the closest wins', () => {
    const r = resolverFor({
      'common/src/Dispatchers.kt': 'package kx\nexpect object Dispatchers\n',
      'jvm/src/Dispatchers.kt': 'package kx\nactual object Dispatchers\n',
      'js/src/Dispatchers.kt': 'package kx\nactual object Dispatchers\n',
      'jvm/src/sub/User.kt': 'package kx.sub\nimport kx.Dispatchers\n',
      'other/User.kt': 'package o\nimport kx.Dispatchers\n',
    });
    assert.deepEqual(r('jvm/src/sub/User.kt'), ['jvm/src/Dispatchers.kt']);
    assert.deepEqual(r('other/User.kt'), ['common/src/Dispatchers.kt', 'js/src/Dispatchers.kt', 'jvm/src/Dispatchers.kt']);
  });
});

describe('jvm extraction on arbitrary text', () => {
  it('terminates, never throws and is deterministic', () => {
    const atom = fc.constantFrom('package', 'import', 'static', ' ', '.', '*', ';', '\n', '"', '"""', "'", '`', '/', '*', '(', ')', '{', '}', '$', 'fun', 'val', 'class', '<', '>', 'a', '@');
    fc.assert(fc.property(fc.array(fc.oneof(atom, fc.string({ maxLength: 3 })), { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(jvmImports.extract(text, 'A.kt'), jvmImports.extract(text, 'A.kt'));
      assert.deepEqual(jvmImports.extract(text, 'A.java'), jvmImports.extract(text, 'A.java'));
      assert.ok(Array.isArray(kotlinTopLevelNames(text)));
    }), { numRuns: 500 });
  });
});
