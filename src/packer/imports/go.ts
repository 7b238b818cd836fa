/**
 * Go import extraction and resolution.
 *
 * Extraction reads the `package` clause and the import declarations that follow it (Go allows imports
 * only there), skipping comments; it stops at the first other declaration, so it is cheap on big files.
 *
 * Resolution: the module of the importing file is the nearest `go.mod` above it (a repository may hold
 * several). An import path under that module, under a local `replace` target of it, in its `vendor/`
 * directory, or under any other module of the repository maps to a directory, and the edge goes to every
 * non-test `.go` file there (files of package `main` only when the whole directory is `main`). Without
 * any go.mod (GOPATH layouts), a path whose first element looks like a host (`github.com/…`) resolves to
 * the directory that uniquely ends with its longest suffix of at least two elements.
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import { dirOf, joinPath, nearestConfig } from './repoPath.js';

const enum Ch {
  Tab = 9, LF = 10, CR = 13, Space = 32, Quote = 34, LParen = 40, RParen = 41, Star = 42, Dot = 46, Slash = 47,
  Semi = 59, Backslash = 92, Backtick = 96,
}

function isIdentPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c > 127;
}

/** A minimal Go tokenizer over the file header: identifiers, string literals, punctuation; comments skipped. */
class Lexer {
  i = 0;
  constructor(private readonly text: string) {}

  /** Next token: an identifier/keyword, a string literal's value prefixed with `"`, a single punctuation char, or undefined at the end. */
  next(): string | undefined {
    const t = this.text;
    const n = t.length;
    for (;;) {
      while (this.i < n) {
        const c = t.charCodeAt(this.i);
        if (c === Ch.Space || c === Ch.Tab || c === Ch.LF || c === Ch.CR) this.i++;
        else break;
      }
      if (this.i >= n) return undefined;
      const c = t.charCodeAt(this.i);
      if (c === Ch.Slash && t.charCodeAt(this.i + 1) === Ch.Slash) {
        const e = t.indexOf('\n', this.i);
        this.i = e < 0 ? n : e + 1;
        continue;
      }
      if (c === Ch.Slash && t.charCodeAt(this.i + 1) === Ch.Star) {
        const e = t.indexOf('*/', this.i + 2);
        this.i = e < 0 ? n : e + 2;
        continue;
      }
      if (c === Ch.Quote) {
        let j = this.i + 1;
        let value = '';
        while (j < n) {
          const d = t.charCodeAt(j);
          if (d === Ch.Quote || d === Ch.LF) break;
          if (d === Ch.Backslash) { value += t[j + 1] ?? ''; j += 2; continue; }
          value += t[j];
          j++;
        }
        this.i = j + 1;
        return '"' + value;
      }
      if (c === Ch.Backtick) {
        const e = t.indexOf('`', this.i + 1);
        const value = t.slice(this.i + 1, e < 0 ? n : e);
        this.i = e < 0 ? n : e + 1;
        return '"' + value;
      }
      if (isIdentPart(c)) {
        const s = this.i;
        while (this.i < n && isIdentPart(t.charCodeAt(this.i))) this.i++;
        return t.slice(s, this.i);
      }
      this.i++;
      return t[this.i - 1];
    }
  }
}

/** Extracts the package clause and imports of a Go file. Pure function of the text. */
export function extractGo(text: string): FileFacts {
  const lx = new Lexer(text);
  const imports: ImportRecord[] = [];
  let tok = lx.next();
  if (tok !== 'package') return { imports };
  const name = lx.next();
  const packageName = name && /^[A-Za-z_]/.test(name) ? name : undefined;
  const spec = (t: string | undefined): boolean => t !== undefined && t.startsWith('"');
  const add = (t: string): void => {
    const path = t.slice(1);
    if (path) imports.push({ spec: path, kind: 'import' });
  };
  tok = lx.next();
  for (;;) {
    while (tok === ';') tok = lx.next();
    if (tok !== 'import') break;
    tok = lx.next();
    if (tok === '(') {
      for (tok = lx.next(); tok !== undefined && tok !== ')'; tok = lx.next()) {
        if (tok === ';') continue;
        if (tok === '.' || tok === '_' || (!spec(tok) && /^[A-Za-z_\u0080-\uffff]/.test(tok))) tok = lx.next(); // alias
        if (spec(tok)) add(tok!);
        else if (tok === ')' || tok === undefined) break;
      }
      tok = lx.next();
    } else {
      if (tok === '.' || tok === '_' || (tok !== undefined && !spec(tok) && /^[A-Za-z_\u0080-\uffff]/.test(tok))) tok = lx.next();
      if (spec(tok)) add(tok!);
      tok = lx.next();
    }
  }
  return packageName ? { imports, packageName } : { imports };
}

interface GoModule { path: string; dir: string; replaces: { from: string; to: string }[] }

function parseGoMod(text: string, dir: string): GoModule | undefined {
  const noComments = text.replace(/\/\/[^\n]*/g, '');
  const m = /^\s*module\s+("?)([^\s"]+)\1/m.exec(noComments);
  if (!m) return undefined;
  const replaces: { from: string; to: string }[] = [];
  const lineRe = /^\s*(?:replace\s+)?("?)([^\s"(]+)\1(?:\s+v[^\s]+)?\s*=>\s*("?)([^\s"]+)\3\s*$/gm;
  const blocks = [...noComments.matchAll(/^\s*replace\s*\(([^)]*)\)/gm)].map((b) => b[1]!);
  const singles = [...noComments.matchAll(/^\s*replace\s+[^(\n][^\n]*$/gm)].map((b) => b[0]);
  for (const chunk of [...blocks, ...singles]) {
    for (const r of chunk.matchAll(lineRe)) {
      const to = r[4]!;
      if (to.startsWith('./') || to.startsWith('../')) {
        const target = joinPath(dir, to);
        if (target !== undefined) replaces.push({ from: r[2]!, to: target });
      }
    }
  }
  return { path: m[2]!, dir, replaces };
}

const under = (spec: string, prefix: string): boolean => spec === prefix || spec.startsWith(prefix + '/');

function createGoResolver(repo: RepoIndex): ImportResolver {
  const filesByDir = new Map<string, string[]>();
  for (const p of repo.paths) {
    if (!p.endsWith('.go')) continue;
    const d = dirOf(p);
    let list = filesByDir.get(d);
    if (!list) { list = []; filesByDir.set(d, list); }
    list.push(p);
  }

  // go.mod of every directory on the way up from a Go file
  const goMods = nearestConfig((path) => repo.readText(path), 'go.mod', parseGoMod);
  const nearestMod = goMods.nearest;
  for (const d of filesByDir.keys()) nearestMod(d);
  const modules = goMods.found()
    .sort((a, b) => b.path.length - a.path.length);

  // package files of a directory: non-test files, `main` only if the directory has nothing else
  const pkgFiles = new Map<string, string[]>();
  const filesOf = (dir: string): string[] => {
    const cached = pkgFiles.get(dir);
    if (cached) return cached;
    const all = (filesByDir.get(dir) ?? []).filter((p) => !p.endsWith('_test.go'));
    const named = all.map((p) => ({ p, pkg: repo.factsOf(p)?.packageName }));
    const nonMain = named.filter((x) => x.pkg !== 'main');
    const out = (nonMain.length ? nonMain : named).map((x) => x.p);
    pkgFiles.set(dir, out);
    return out;
  };

  const dirsWithGo = [...filesByDir.keys()];
  const suffixCache = new Map<string, string | undefined>();
  const bySuffix = (spec: string): string | undefined => {
    if (suffixCache.has(spec)) return suffixCache.get(spec);
    let hit: string | undefined;
    const segs = spec.split('/');
    for (let k = 0; k + 2 <= segs.length && hit === undefined; k++) {
      const suffix = segs.slice(k).join('/');
      const hits = dirsWithGo.filter((d) => d === suffix || d.endsWith('/' + suffix));
      if (hits.length === 1) hit = hits[0];
      else if (hits.length > 1) break;
    }
    suffixCache.set(spec, hit);
    return hit;
  };

  const dirFor = (spec: string, fileDir: string): string | undefined => {
    const own = nearestMod(fileDir);
    if (own) {
      if (under(spec, own.path)) return joinPath(own.dir, spec.slice(own.path.length));
      for (const r of own.replaces) if (under(spec, r.from)) return joinPath(r.to, spec.slice(r.from.length));
      const vendored = joinPath(own.dir, 'vendor/' + spec);
      if (vendored !== undefined && filesByDir.has(vendored)) return vendored;
    }
    for (const m of modules) if (under(spec, m.path)) return joinPath(m.dir, spec.slice(m.path.length));
    if (!own && /^[^/]*\.[^/]*\//.test(spec)) return bySuffix(spec);
    return undefined;
  };

  return (path: string, facts: FileFacts): string[] => {
    const fileDir = dirOf(path);
    const out = new Set<string>();
    for (const rec of facts.imports) {
      const dir = dirFor(rec.spec, fileDir);
      if (dir === undefined) continue;
      for (const f of filesOf(dir)) if (f !== path) out.add(f);
    }
    return [...out].sort();
  };
}

export const goImports: LanguageImports = {
  languages: ['go'],
  extract: (text: string) => extractGo(text),
  createResolver: createGoResolver,
};
