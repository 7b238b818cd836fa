/**
 * Accuracy of the TypeScript/JavaScript import edges on real repositories, against an independent oracle:
 * the TypeScript compiler's own parser and module resolver.
 *
 * Oracle, per .ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs file outside node_modules:
 *  - imports: the module specifiers of TypeScript's AST (import/export declarations, `import x = require()`,
 *    `require('…')` calls on the bare identifier `require`, `import('…')` calls and `import('…')` types) plus the
 *    file's `/// <reference path>`s. We do not use `ts.preProcessFile`: it is a token scanner that does not
 *    rescan `/` as a regex nor understand JSX text, so it loses every import after `/['"]/` or after JSX text
 *    like `don't`, and it counts `foo.require('x')` as an import (checked on TS 5.9); those are the very traps
 *    our lexer is built for, so it would not be an honest reference.
 *  - resolution: `ts.resolveModuleName` with the compiler options of the file's nearest tsconfig.json /
 *    jsconfig.json (`ts.readConfigFile` + `ts.parseJsonConfigFileContent`, so `extends`, `baseUrl` and `paths`
 *    are TypeScript's reading), plus `allowJs` and `resolveJsonModule` (Node loads JSON; TS's default only
 *    matters for type checking). Without a config: Node10 resolution, the CommonJS default.
 *  - workspace packages: the checkouts have no node_modules, so TypeScript could never find a workspace
 *    package by name. To keep the oracle fair without teaching it our rules, its host shows a virtual
 *    `<root>/node_modules/<name>` for each member of the root package.json `workspaces` globs, i.e. exactly
 *    the symlinks `yarn install` / `npm install` would create, and `realpath` maps them back. TypeScript then
 *    applies its own package.json `types`/`main`/index rules (and `paths` still take precedence).
 *    Where our resolver goes further than TypeScript (e.g. `main: lib/index.js` absent → `src/index.ts`,
 *    `exports` maps, which Node10 resolution ignores), the difference counts against our precision.
 *  - edges are kept when the target is a file of the repository outside node_modules and not the file itself.
 *  - files whose text TypeScript cannot parse (it reports parse diagnostics) are left out on both sides: the
 *    oracle cannot tell what they import. In babel (2777 of 17416 files) these are parser test inputs: all
 *    but 5 under `test/fixtures/`, written in Flow, in syntax proposals, or deliberately invalid; the 5 others
 *    are `babel-parser/test/expressions/…/fail/` inputs. The counts are printed.
 * Our side: `javascriptImports.extract` + `createResolver` over a RepoIndex of the same directory.
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { javascriptImports } from '../src/packer/imports/javascript.js';
import type { RepoIndex } from '../src/packer/types.js';
import { corpusDir } from './helpers/corpus.js';
import { buildRepoIndexFromDir } from './helpers/repo-index.js';

const CODE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const verbose = !!process.env.EDGES_VERBOSE;

function fetchCorpus(packages: string[]): string[] {
  return packages.map((pkg) => realpathSync(corpusDir(pkg)));
}

function scriptKind(path: string): ts.ScriptKind {
  if (path.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (path.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[mc]?ts$/.test(path)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

/** Module specifiers in TypeScript's AST of a file. */
function astSpecifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const literal = (n: ts.Node | undefined): void => {
    if (n && ts.isStringLiteralLike(n)) out.push(n.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      literal(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if ((callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require'))) {
        literal(node.arguments[0]);
      }
    } else if (ts.isImportTypeNode(node)) {
      if (ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function parseDiagnosticCount(sf: ts.SourceFile): number {
  const diagnostics = (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics;
  assert.ok(diagnostics, 'ts.SourceFile.parseDiagnostics is missing: this TypeScript version changed its internals');
  return diagnostics.length;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/^\.\//, '').replace(/\/+$/, '').split('/')
    .map((s) => (s === '**' ? '.*' : s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))).join('/');
  return new RegExp(`^${body}$`);
}

interface Measure {
  repo: string;
  files: number;
  unparsable: number;
  unparsableOutsideFixtures: number;
  ours: number;
  oracle: number;
  common: number;
  precision: number;
  recall: number;
  /** The extraction alone: (file, specifier) pairs, resolved or not, against TypeScript's AST. */
  specifiers: { ours: number; oracle: number; common: number; precision: number; recall: number };
  extractMBps: number;
  extractMs: number;
  resolveMs: number;
  falsePositives: string[];
  falseNegatives: string[];
}

function measure(name: string, root: string): Measure {
  const index: RepoIndex = buildRepoIndexFromDir(root);
  const fileSet = new Set(index.paths);
  const dirSet = new Set<string>(['']);
  for (const p of index.paths) for (let d = dirname(p); d !== '.' && !dirSet.has(d); d = dirname(d)) dirSet.add(d);
  const codeFiles = index.paths.filter((p) => CODE_EXTENSIONS.test(p));
  const texts = new Map(codeFiles.map((p) => [p, index.readText(p) ?? '']));

  // ── oracle ──
  const workspaces = new Map<string, string>(); // package name → directory
  {
    const rootPkg = JSON.parse(index.readText('package.json') ?? '{}') as { workspaces?: string[] | { packages?: string[] } };
    const globs = (Array.isArray(rootPkg.workspaces) ? rootPkg.workspaces : rootPkg.workspaces?.packages ?? []).map(globToRegExp);
    for (const d of dirSet) {
      if (!globs.some((g) => g.test(d)) || !fileSet.has(`${d}/package.json`)) continue;
      const pkgName = (JSON.parse(index.readText(`${d}/package.json`)!) as { name?: string }).name;
      if (pkgName) workspaces.set(pkgName, d);
    }
  }
  const rel = (path: string): string | undefined => {
    const abs = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path; // TypeScript probes `dir/` for `..`
    return abs === root ? '' : abs.startsWith(root + '/') ? abs.slice(root.length + 1) : undefined;
  };
  /** `node_modules/<workspace name>/rest` → the workspace's own path. */
  const unlink = (r: string): string | undefined => {
    if (!r.startsWith('node_modules/')) return undefined;
    const parts = r.split('/');
    const scoped = parts[1]?.startsWith('@');
    const pkgName = scoped ? `${parts[1]}/${parts[2]}` : parts[1]!;
    const dir = workspaces.get(pkgName);
    if (dir === undefined) return undefined;
    const rest = parts.slice(scoped ? 3 : 2).join('/');
    return rest ? `${dir}/${rest}` : dir;
  };
  const host: ts.ModuleResolutionHost = {
    fileExists: (abs) => {
      const r = rel(abs);
      if (r === undefined) return false;
      if (fileSet.has(r)) return true;
      const u = unlink(r);
      return u !== undefined && fileSet.has(u);
    },
    directoryExists: (abs) => {
      const r = rel(abs);
      if (r === undefined) return false;
      if (dirSet.has(r)) return true;
      if (r === 'node_modules') return workspaces.size > 0;
      if (/^node_modules\/@[^/]+$/.test(r)) return [...workspaces.keys()].some((n) => n.startsWith(r.slice(13) + '/'));
      const u = unlink(r);
      return u !== undefined && dirSet.has(u);
    },
    readFile: (abs) => {
      const r = rel(abs);
      if (r === undefined) return undefined;
      return index.readText(r) ?? (unlink(r) !== undefined ? index.readText(unlink(r)!) : undefined);
    },
    realpath: (abs) => {
      const r = rel(abs);
      const u = r === undefined ? undefined : unlink(r);
      return u === undefined ? abs : join(root, u);
    },
    getCurrentDirectory: () => root,
  };
  interface OracleConfig { options: ts.CompilerOptions; cache: ts.ModuleResolutionCache }
  const configs = new Map<string, OracleConfig>();
  const configOfDir = new Map<string, OracleConfig>();
  const oracleConfig = (dir: string): OracleConfig => {
    const hit = configOfDir.get(dir);
    if (hit) return hit;
    let found: string | undefined;
    for (let d = dir; ; d = dirname(d)) {
      const base = d === '.' ? '' : `${d}/`;
      if (fileSet.has(`${base}tsconfig.json`)) found = `${base}tsconfig.json`;
      else if (fileSet.has(`${base}jsconfig.json`)) found = `${base}jsconfig.json`;
      if (found || d === '.' || d === '') break;
    }
    const key = found ?? '';
    let cfg = configs.get(key);
    if (!cfg) {
      let options: ts.CompilerOptions = { moduleResolution: ts.ModuleResolutionKind.Node10 };
      if (found) {
        const abs = join(root, found);
        const read = ts.readConfigFile(abs, (p) => host.readFile(p));
        // readDirectory → []: we only want the compiler options, not the (slow) expansion of `include`
        const parseHost: ts.ParseConfigHost = {
          useCaseSensitiveFileNames: true, readDirectory: () => [], fileExists: host.fileExists, readFile: (p) => host.readFile(p),
        };
        options = ts.parseJsonConfigFileContent(read.config, parseHost, dirname(abs), undefined, abs).options;
      }
      options = { ...options, allowJs: true, resolveJsonModule: true };
      cfg = { options, cache: ts.createModuleResolutionCache(root, (f) => f, options) };
      configs.set(key, cfg);
    }
    configOfDir.set(dir, cfg);
    return cfg;
  };

  const oracle = new Set<string>();
  const oracleSpecs = new Set<string>();
  const parsable: string[] = [];
  let unparsable = 0;
  let unparsableOutsideFixtures = 0;
  for (const file of codeFiles) {
    const abs = join(root, file);
    const sf = ts.createSourceFile(abs, texts.get(file)!, ts.ScriptTarget.Latest, false, scriptKind(file));
    if (parseDiagnosticCount(sf) > 0) {
      unparsable++;
      if (!/(^|\/)fixtures\//.test(file)) unparsableOutsideFixtures++;
      continue;
    }
    parsable.push(file);
    const { options, cache } = oracleConfig(dirname(file));
    const add = (target: string | undefined): void => {
      const t = target === undefined ? undefined : rel(target);
      if (t !== undefined && t !== file && fileSet.has(t) && !/(^|\/)node_modules\//.test(t)) oracle.add(`${file} -> ${t}`);
    };
    for (const spec of astSpecifiers(sf)) {
      oracleSpecs.add(`${file} : ${spec}`);
      add(ts.resolveModuleName(spec, abs, options, host, cache).resolvedModule?.resolvedFileName);
    }
    for (const ref of sf.referencedFiles) {
      oracleSpecs.add(`${file} : ${ref.fileName}`);
      const target = resolvePath(dirname(abs), ref.fileName);
      add(['', '.ts', '.d.ts'].map((e) => target + e).find((p) => host.fileExists(p)));
    }
  }

  // ── ours ──
  const t0 = performance.now();
  const facts = parsable.map((f) => javascriptImports.extract(texts.get(f)!, f));
  const t1 = performance.now();
  const resolver = javascriptImports.createResolver(index);
  const ours = new Set<string>();
  parsable.forEach((f, i) => {
    for (const t of resolver(f, facts[i]!)) ours.add(`${f} -> ${t}`);
  });
  const t2 = performance.now();

  const ourSpecs = new Set<string>();
  parsable.forEach((f, i) => {
    for (const r of facts[i]!.imports) ourSpecs.add(`${f} : ${r.spec}`);
  });
  const commonSpecs = [...ourSpecs].filter((e) => oracleSpecs.has(e)).length;
  if (verbose) {
    console.log(`${name} specifiers only ours:\n  ${[...ourSpecs].filter((e) => !oracleSpecs.has(e)).join('\n  ')}`);
    console.log(`${name} specifiers only TypeScript's:\n  ${[...oracleSpecs].filter((e) => !ourSpecs.has(e)).join('\n  ')}`);
  }
  const common = [...ours].filter((e) => oracle.has(e)).length;
  const falsePositives = [...ours].filter((e) => !oracle.has(e)).sort();
  const falseNegatives = [...oracle].filter((e) => !ours.has(e)).sort();
  if (verbose) console.log(`${name} false positives:\n  ${falsePositives.join('\n  ')}\n${name} false negatives:\n  ${falseNegatives.join('\n  ')}`);
  const chars = parsable.reduce((n, f) => n + texts.get(f)!.length, 0);
  const sample = (list: string[]): string[] => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / 5)) === 0).slice(0, 5);
  return {
    repo: name, files: codeFiles.length, unparsable, unparsableOutsideFixtures, ours: ours.size, oracle: oracle.size, common,
    specifiers: {
      ours: ourSpecs.size, oracle: oracleSpecs.size, common: commonSpecs,
      precision: Number((commonSpecs / Math.max(1, ourSpecs.size)).toFixed(4)),
      recall: Number((commonSpecs / Math.max(1, oracleSpecs.size)).toFixed(4)),
    },
    precision: Number((common / Math.max(1, ours.size)).toFixed(4)),
    recall: Number((common / Math.max(1, oracle.size)).toFixed(4)),
    extractMBps: Number((chars / 1e6 / ((t1 - t0) / 1000)).toFixed(1)),
    extractMs: Math.round(t1 - t0), resolveMs: Math.round(t2 - t1),
    falsePositives: sample(falsePositives), falseNegatives: sample(falseNegatives),
  };
}

describe('TypeScript/JavaScript edges against the TypeScript compiler', { timeout: 600_000 }, () => {
  const [babel, express] = fetchCorpus(['node-babel7', 'node-express']);

  for (const [name, root] of [['node-babel7', babel], ['node-express', express]] as const) {
    it(`${name}: precision ≥ 0.97 and recall ≥ 0.95`, () => {
      const m = measure(name, root!);
      console.log(JSON.stringify(m));
      assert.ok(m.oracle > (name === 'node-babel7' ? 1000 : 100), `too few oracle edges (${m.oracle}): is the corpus complete?`);
      assert.ok(m.precision >= 0.97, `precision ${m.precision}`);
      assert.ok(m.recall >= 0.95, `recall ${m.recall}`);
    });
  }
});
