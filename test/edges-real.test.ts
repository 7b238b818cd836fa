/**
 * Import edges of Python, Go, Rust, Java, Kotlin, C and C++ on REAL repositories (Debian source packages,
 * fetched once by scripts/fetch-corpus.sh into a cache outside the checkout). One JSON line per language.
 *
 * Where an independent oracle exists offline, precision and recall of the direct edges are asserted:
 *  - C (redis): the compiler decides. test/oracles/c_includes.py mirrors the tree as empty files, gives each
 *    C file back its own text and asks `gcc -M -MG -nostdinc` with the -I flags of redis's Makefiles what it
 *    includes; since every other file is empty, that is exactly the direct includes, resolved by gcc's
 *    search rules. gcc cannot say which `#if` branch a build takes, so the oracle opens every conditional
 *    except `#if 0` (our extractor does the same). `#include MACRO` is invisible to a text scanner and
 *    counts against our recall.
 *  - Python (django): test/oracles/python_imports.py, CPython's `ast` for the imports and
 *    `importlib.machinery.PathFinder` for resolution on the sys.path django's test runner uses (repo root and
 *    tests/), importing nothing from the repository. The raw imports are compared too (extraction accuracy).
 * Go (hugo), Rust (ripgrep), Java (commons-io) and Kotlin (kotlinx-coroutines) have no toolchain here, so:
 * every edge must point to another existing file of the language, a few edges checked by hand against the
 * sources must be there, and the share of the repository's own imports that resolve is asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cImports } from '../src/packer/imports/c.js';
import { goImports } from '../src/packer/imports/go.js';
import { jvmImports } from '../src/packer/imports/jvm.js';
import { pythonImports } from '../src/packer/imports/python.js';
import { rustImports } from '../src/packer/imports/rust.js';
import { detectLanguage } from '../src/packer/language.js';
import type { ImportRecord, LanguageImports, RepoIndex } from '../src/packer/types.js';
import { corpusDir } from './helpers/corpus.js';
import { buildRepoIndexFromDir } from './helpers/repo-index.js';

/** A RepoIndex over a directory: every file outside hidden directories and node_modules. */
function dirIndex(root: string): RepoIndex {
  return buildRepoIndexFromDir(root, (name) => name.startsWith('.') || name === 'node_modules');
}

function corpus(pkg: string): string {
  return corpusDir(pkg); // throws with a clear message when the package cannot be fetched
}

function runOracle(script: string, args: string[]): { edges: Record<string, string[]>; imports?: Record<string, string[]>; skipped: Record<string, number>; files: number } {
  let out: string;
  try {
    out = execFileSync('python3', [join(__dirname, 'oracles', script), ...args], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  } catch (e) {
    throw new Error(`oracle ${script} failed (needs python3${script.startsWith('c_') ? ' and gcc' : ''}): ${(e as Error).message}`, { cause: e });
  }
  return JSON.parse(out) as ReturnType<typeof runOracle>;
}

interface Score { tp: number; fp: number; fn: number; precision: number; recall: number; falsePositives: string[]; falseNegatives: string[] }

function score(repo: RepoIndex, module: LanguageImports, oracle: Record<string, string[]>): Score {
  const resolve = module.createResolver(repo);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const falsePositives: string[] = [];
  const falseNegatives: string[] = [];
  for (const [file, want] of Object.entries(oracle)) {
    const facts = repo.factsOf(file);
    assert.ok(facts, `no facts for ${file}`);
    const got = new Set(resolve(file, facts));
    const expected = new Set(want);
    for (const g of got) if (expected.has(g)) tp++; else { fp++; falsePositives.push(`${file} -> ${g}`); }
    for (const w of expected) if (!got.has(w)) { fn++; falseNegatives.push(`${file} -> ${w}`); }
  }
  return { tp, fp, fn, precision: tp / (tp + fp || 1), recall: tp / (tp + fn || 1), falsePositives, falseNegatives };
}

/** Extraction throughput over the files of the corpus that `module` handles (after a warm-up pass, over >= 0.2 s). */
function extractionSpeed(repo: RepoIndex, module: LanguageImports, files: readonly string[]): number {
  const texts = files.map((p) => [p, repo.readText(p) ?? ''] as const);
  let bytes = 0;
  for (const [p, t] of texts) { module.extract(t, p); bytes += t.length; }
  let passes = 0;
  const t0 = performance.now();
  do {
    for (const [p, t] of texts) module.extract(t, p);
    passes++;
  } while (performance.now() - t0 < 200);
  const seconds = (performance.now() - t0) / 1000;
  return Math.round((bytes * passes) / 1e6 / seconds);
}

/** Every edge of every file: another existing file, of an accepted extension; sorted and unique. Returns the edge count. */
function checkSanity(repo: RepoIndex, module: LanguageImports, files: readonly string[], target: RegExp): number {
  const resolve = module.createResolver(repo);
  let count = 0;
  for (const f of files) {
    const got = resolve(f, repo.factsOf(f)!);
    assert.deepEqual(got, [...new Set(got)].sort(), `edges of ${f} are not sorted and unique`);
    for (const g of got) {
      assert.ok(repo.has(g), `${f} -> ${g}: not a file of the repository`);
      assert.notEqual(g, f, `${f} imports itself`);
      assert.match(g, target, `${f} -> ${g}: not a file of the language`);
    }
    count += got.length;
  }
  return count;
}

function assertEdges(repo: RepoIndex, module: LanguageImports, expected: Record<string, { has?: string[]; not?: string[] }>): void {
  const resolve = module.createResolver(repo);
  for (const [from, { has = [], not = [] }] of Object.entries(expected)) {
    const facts = repo.factsOf(from);
    assert.ok(facts, `hand-checked file ${from} is missing from the corpus`);
    const got = resolve(from, facts);
    for (const h of has) assert.ok(got.includes(h), `expected ${from} -> ${h}; got ${JSON.stringify(got)}`);
    for (const n of not) assert.ok(!got.includes(n), `unexpected ${from} -> ${n}`);
  }
}

/** Share of the given imports that resolve to at least one file (a resolution to the importing file itself counts). */
function resolvedShare(repo: RepoIndex, module: LanguageImports, files: readonly string[], internal: (rec: ImportRecord, file: string) => boolean, selfTarget: (rec: ImportRecord, file: string) => boolean = () => false) {
  const resolve = module.createResolver(repo);
  let total = 0;
  let resolved = 0;
  const misses: string[] = [];
  for (const f of files) {
    for (const rec of repo.factsOf(f)!.imports) {
      if (!internal(rec, f)) continue;
      total++;
      if (resolve(f, { imports: [rec] }).length > 0 || selfTarget(rec, f)) resolved++;
      else misses.push(`${f}: ${rec.spec}`);
    }
  }
  return { total, resolved, share: resolved / (total || 1), misses };
}

const round = (x: number): number => Math.round(x * 10000) / 10000;

describe('import edges on real repositories', () => {
  it('C: redis against gcc -M (direct includes)', () => {
    const root = corpus('redis');
    const config = {
      // -I flags from redis's Makefiles (src/Makefile FINAL_CFLAGS, deps/Makefile, deps/*/Makefile, tests/modules/Makefile)
      include_dirs: [
        ['src/modules/', ['src/modules']],
        ['src/', ['deps/hiredis', 'deps/linenoise', 'deps/lua/src', 'deps/hdr_histogram', 'deps/jemalloc/include']],
        ['tests/modules/', ['src']],
        ['deps/jemalloc/test/', ['deps/jemalloc/include', 'deps/jemalloc/test/include']],
        ['deps/jemalloc/', ['deps/jemalloc/include']],
        ['deps/hiredis/examples/example-ae', ['deps/hiredis', 'src']],
        ['deps/hiredis/', ['deps/hiredis']],
        ['deps/lua/etc/', ['deps/lua/src']],
      ],
    };
    const oracle = runOracle('c_includes.py', [root, JSON.stringify(config)]);
    const repo = dirIndex(root);
    const s = score(repo, cImports, oracle.edges);
    const files = repo.paths.filter((p) => cImports.languages.includes(detectLanguage(p)));
    const edges = checkSanity(repo, cImports, files, /\.(c|h|cc|cpp|cxx|hh|hpp|hxx|inl|ipp|tcc)$/);
    console.log(JSON.stringify({
      language: 'c', repo: 'redis', files: oracle.files, compared: Object.keys(oracle.edges).length, skipped: oracle.skipped, edges,
      tp: s.tp, fp: s.fp, fn: s.fn, precision: round(s.precision), recall: round(s.recall),
      falsePositives: s.falsePositives.slice(0, 5), falseNegatives: s.falseNegatives.slice(0, 5),
      extractMBps: extractionSpeed(repo, cImports, files),
    }));
    assert.ok(Object.keys(oracle.edges).length > 500, 'the oracle decided too few files');
    assert.ok(s.precision >= 0.97, `precision ${s.precision}`);
    assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  });

  it('Python: django against ast + importlib PathFinder', () => {
    const root = corpus('python-django');
    const oracle = runOracle('python_imports.py', [root, JSON.stringify(['', 'tests'])]);
    const repo = dirIndex(root);
    const s = score(repo, pythonImports, oracle.edges);
    // extraction: the same imports as the ast, file by file
    let sameFiles = 0;
    const extractionDiffs: string[] = [];
    for (const [file, want] of Object.entries(oracle.imports ?? {})) {
      const got = new Set<string>();
      for (const r of repo.factsOf(file)!.imports) {
        if (r.kind === 'import') got.add('import:' + r.spec);
        else for (const n of r.names ?? []) got.add(`from:${r.spec}:${n}`);
      }
      if (got.size === want.length && want.every((w) => got.has(w))) sameFiles++;
      else extractionDiffs.push(file);
    }
    const compared = Object.keys(oracle.imports ?? {}).length;
    const files = repo.paths.filter((p) => detectLanguage(p) === 'python');
    const edges = checkSanity(repo, pythonImports, files, /\.pyi?$/);
    console.log(JSON.stringify({
      language: 'python', repo: 'django', files: oracle.files, compared, skipped: oracle.skipped, edges,
      tp: s.tp, fp: s.fp, fn: s.fn, precision: round(s.precision), recall: round(s.recall),
      extractionSameAsAst: round(sameFiles / (compared || 1)), extractionDiffs: extractionDiffs.slice(0, 5),
      falsePositives: s.falsePositives.slice(0, 5), falseNegatives: s.falseNegatives.slice(0, 5),
      extractMBps: extractionSpeed(repo, pythonImports, files),
    }));
    assert.ok(compared > 2000, 'the oracle decided too few files');
    assert.ok(sameFiles / compared >= 0.99, `extraction differs from the ast in ${extractionDiffs.length} files`);
    assert.ok(s.precision >= 0.97, `precision ${s.precision}`);
    assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  });

  it('Go: hugo sanity, hand-checked edges, share of module-internal imports resolved', () => {
    const root = corpus('hugo');
    const repo = dirIndex(root);
    const files = repo.paths.filter((p) => p.endsWith('.go'));
    const edges = checkSanity(repo, goImports, files, /\.go$/);
    assertEdges(repo, goImports, {
      'commands/hugo.go': { has: ['hugolib/site.go', 'hugolib/hugo_sites.go', 'common/herrors/errors.go'], not: ['hugolib/site_test.go'] },
      'hugolib/site.go': { has: ['common/hugio/readers.go', 'common/hugio/copy.go'], not: ['common/hugio/hasBytesWriter_test.go'] },
    });
    const share = resolvedShare(repo, goImports, files, (r) => r.spec === 'github.com/gohugoio/hugo' || r.spec.startsWith('github.com/gohugoio/hugo/'));
    console.log(JSON.stringify({
      language: 'go', repo: 'hugo', files: files.length, edges, internalImports: share.total, resolvedShare: round(share.share), misses: share.misses.slice(0, 5),
      extractMBps: extractionSpeed(repo, goImports, files),
    }));
    assert.ok(share.total > 1000);
    assert.ok(share.share >= 0.95, `resolved share ${share.share}: ${share.misses.slice(0, 10).join(', ')}`);
  });

  it('Rust: ripgrep sanity, hand-checked edges, share of crate-internal imports resolved', () => {
    const root = corpus('rust-ripgrep');
    const repo = dirIndex(root);
    const files = repo.paths.filter((p) => p.endsWith('.rs'));
    const edges = checkSanity(repo, rustImports, files, /\.rs$/);
    assertEdges(repo, rustImports, {
      'crates/core/main.rs': { has: ['crates/core/args.rs', 'crates/core/search.rs', 'crates/core/subject.rs'] },
      'crates/core/args.rs': { has: ['crates/core/app.rs', 'crates/core/main.rs', 'crates/core/path_printer.rs'] },
      'build.rs': { has: ['crates/core/app.rs'] }, // #[path = "crates/core/app.rs"] mod app;
      'tests/tests.rs': { has: ['tests/util.rs', 'tests/hay.rs', 'tests/regression.rs'] },
      'tests/misc.rs': { has: ['tests/hay.rs', 'tests/util.rs'], not: ['tests/tests.rs'] },
    });
    // internal: every `mod` and every `use crate::…/self::…/super::…`; a `use` naming the file's own module counts as resolved
    const share = resolvedShare(repo, rustImports, files,
      (r) => r.kind === 'mod' || r.kind === 'mod-path' || (r.kind === 'use' && /^(crate|self|super)(::|$)/.test(r.spec)),
      (r) => r.kind === 'use' && /^self(::|$)/.test(r.spec));
    console.log(JSON.stringify({
      language: 'rust', repo: 'ripgrep', files: files.length, edges, internalImports: share.total, resolvedShare: round(share.share), misses: share.misses.slice(0, 5),
      extractMBps: extractionSpeed(repo, rustImports, files),
    }));
    assert.ok(share.total >= 40);
    assert.ok(share.share >= 0.95, `resolved share ${share.share}: ${share.misses.slice(0, 10).join(', ')}`);
  });

  const selfImport = (repo: RepoIndex) => (r: ImportRecord, file: string): boolean => {
    // `import p.C.*` / `import p.C.Inner` written in C's own file
    const pkg = repo.factsOf(file)?.packageName;
    const base = file.slice(file.lastIndexOf('/') + 1).replace(/\..*$/, '');
    return pkg !== undefined && (r.spec + '.').startsWith(`${pkg}.${base}.`);
  };

  it('Java: commons-io sanity, hand-checked edges, share of project imports resolved', () => {
    const root = corpus('commons-io');
    const repo = dirIndex(root);
    const files = repo.paths.filter((p) => p.endsWith('.java'));
    const edges = checkSanity(repo, jvmImports, files, /\.(java|kts?)$/);
    const main = 'src/main/java/org/apache/commons/io/';
    assertEdges(repo, jvmImports, {
      [main + 'FileUtils.java']: { has: [main + 'file/PathUtils.java', main + 'file/Counters.java', main + 'filefilter/IOFileFilter.java'], not: [main + 'IOUtils.java'] },
    });
    const internal = (r: ImportRecord): boolean => r.spec.startsWith('org.apache.commons.io.') && !r.spec.endsWith('.*');
    const share = resolvedShare(repo, jvmImports, files, internal, selfImport(repo));
    console.log(JSON.stringify({
      language: 'java', repo: 'commons-io', files: files.length, edges, internalImports: share.total, resolvedShare: round(share.share), misses: share.misses.slice(0, 5),
      extractMBps: extractionSpeed(repo, jvmImports, files),
    }));
    assert.ok(share.total > 300);
    assert.ok(share.share >= 0.95, `resolved share ${share.share}: ${share.misses.slice(0, 10).join(', ')}`);
  });

  it('Kotlin: kotlinx-coroutines sanity, hand-checked edges, share of project imports resolved', () => {
    const root = corpus('kotlinx-coroutines');
    const repo = dirIndex(root);
    const files = repo.paths.filter((p) => /\.kts?$/.test(p));
    const edges = checkSanity(repo, jvmImports, files, /\.(java|kts?)$/);
    assertEdges(repo, jvmImports, {
      // import kotlinx.coroutines.javafx.JavaFx as Main  →  `public val Dispatchers.JavaFx` in JavaFxDispatcher.kt
      'ui/kotlinx-coroutines-javafx/test/guide/example-ui-basic-02.kt': { has: ['ui/kotlinx-coroutines-javafx/src/JavaFxDispatcher.kt'] },
      // import kotlinx.coroutines.internal.MainDispatcherFactory (an interface in common code)
      'ui/kotlinx-coroutines-android/src/HandlerDispatcher.kt': {
        has: ['common/kotlinx-coroutines-core-common/src/internal/MainDispatcherFactory.kt'],
        not: ['core/kotlinx-coroutines-core/test/TestBase.kt'],
      },
    });
    const internal = (r: ImportRecord): boolean => r.spec.startsWith('kotlinx.coroutines.') && !r.spec.endsWith('.*');
    const share = resolvedShare(repo, jvmImports, files, internal, selfImport(repo));
    const wildcards = resolvedShare(repo, jvmImports, files, (r) => r.spec.startsWith('kotlinx.coroutines.') && r.spec.endsWith('.*'), selfImport(repo));
    console.log(JSON.stringify({
      language: 'kotlin', repo: 'kotlinx-coroutines', files: files.length, edges, internalImports: share.total, resolvedShare: round(share.share), misses: share.misses.slice(0, 5),
      wildcardImports: wildcards.total, wildcardsWithAUsedName: round(wildcards.share),
      extractMBps: extractionSpeed(repo, jvmImports, files),
    }));
    assert.ok(share.total > 50);
    assert.ok(share.share >= 0.95, `resolved share ${share.share}: ${share.misses.slice(0, 10).join(', ')}`);
  });
});
