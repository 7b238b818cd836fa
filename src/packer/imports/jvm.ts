/**
 * Java and Kotlin `package` / `import` extraction and resolution.
 *
 * Extraction reads the file header only (package and imports precede every declaration in both
 * languages): a small tokenizer skips comments (nested in Kotlin), strings, text blocks and raw strings,
 * and stops at the first `{` or the first statement that is not a package, import or annotation. Records: `{ kind: 'import', spec: 'a.b.C' }`, wildcards as `a.b.*`,
 * `{ kind: 'import-static', spec: 'a.b.C.m' }`; Kotlin `as` renames are dropped.
 *
 * Resolution uses a table of fully qualified names built once from every Java/Kotlin file of the
 * repository: `package + file name` for Java (a public class lives in its own file) and, for Kotlin,
 * `package + name` of every top-level declaration (class, object, interface, typealias, fun, val, var)
 * plus the `FileNameKt` facade Java sees. `a.b.C` (or `a.b.C.Inner`, `a.b.C.member`) → the file(s) of
 * the longest prefix in the table; `a.b.*` → the files of package a.b that declare a name the importing
 * file mentions (every file of a big package would mostly be noise), or class a.b's file for its nested
 * members. Test sources are only targets for test files, and when several files declare the same name
 * (Kotlin expect/actual, copies per platform) the ones closest in the tree win.
 * Same-package references need no import and are not edges: without type resolution every file of a
 * package would depend on every other, which is mostly noise.
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import { dirOf } from './repoPath.js';

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Skips a block comment starting at `i` (`/*`); Kotlin's nest. */
function skipBlockComment(text: string, i: number, nested: boolean): number {
  const n = text.length;
  let depth = 1;
  i += 2;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 42 && text.charCodeAt(i + 1) === 47) { i += 2; if (--depth === 0) return i; continue; }
    if (nested && c === 47 && text.charCodeAt(i + 1) === 42) { depth++; i += 2; continue; }
    i++;
  }
  return n;
}

/** Header tokens up to the first `{`: identifiers (backticks removed), `.`, `*`, `;`, newlines as `\n`. */
function headerTokens(text: string, kotlin: boolean): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) { out.push('\n'); i++; continue; }
    if (c <= 32) { i++; continue; }
    if (c === 47 && text.charCodeAt(i + 1) === 47) { while (i < n && text.charCodeAt(i) !== 10) i++; continue; }
    if (c === 47 && text.charCodeAt(i + 1) === 42) { i = skipBlockComment(text, i, kotlin); continue; }
    if (c === 123 /* { */) break;
    if (c === 34 || c === 39) {
      if (c === 34 && text.startsWith('"""', i)) {
        const e = text.indexOf('"""', i + 3);
        i = e < 0 ? n : e + 3;
        while (text.charCodeAt(i) === 34) i++;
        continue;
      }
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== c && text.charCodeAt(j) !== 10) j += text.charCodeAt(j) === 92 ? 2 : 1;
      i = j + 1;
      out.push('"');
      continue;
    }
    if (c === 96 /* ` */) {
      const e = text.indexOf('`', i + 1);
      out.push(text.slice(i + 1, e < 0 ? n : e));
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      out.push(text.slice(i, j));
      i = j;
      continue;
    }
    out.push(text[i]!);
    i++;
  }
  return out;
}

/** Reads a qualified name at `toks[k]` (newlines allowed only in Java); returns the name parts and the next index. */
function qualified(toks: string[], k: number, kotlin: boolean): { parts: string[]; next: number } {
  const parts: string[] = [];
  const skipNl = (j: number): number => { if (!kotlin) while (toks[j] === '\n') j++; return j; };
  k = skipNl(k);
  for (;;) {
    const t = toks[k];
    if (t === undefined) break;
    if (t === '*') { parts.push('*'); k++; break; }
    if (!isIdentStart(t.charCodeAt(0))) break;
    parts.push(t);
    k = skipNl(k + 1);
    if (toks[k] === '.') { k = skipNl(k + 1); continue; }
    break;
  }
  return { parts, next: k };
}

/** Extracts the package clause and imports of a Java or Kotlin file. Pure function of the text and extension. */
export function extractJvm(text: string, path: string): FileFacts {
  const kotlin = /\.kts?$/.test(path);
  const toks = headerTokens(text, kotlin);
  const imports: ImportRecord[] = [];
  let packageName: string | undefined;
  let lineStart = true;
  let parens = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t === '(') parens++;
    else if (t === ')') parens = Math.max(0, parens - 1);
    if ((t === '\n' || t === ';') && parens === 0) { lineStart = true; continue; }
    const atStatement = lineStart;
    lineStart = false;
    if (!atStatement) continue;
    if (t !== 'package' && t !== 'import' && t !== '@') break; // the first declaration: no imports after it
    if (t === 'package' && packageName === undefined) {
      const q = qualified(toks, k + 1, kotlin);
      if (q.parts.length && !q.parts.includes('*')) packageName = q.parts.join('.');
      k = q.next - 1;
    } else if (t === 'import') {
      let j = k + 1;
      let kind = 'import';
      if (!kotlin && toks[j] === 'static') { kind = 'import-static'; j++; }
      const q = qualified(toks, j, kotlin);
      if (q.parts.length >= 1 && !(q.parts.length === 1 && q.parts[0] === '*')) imports.push({ spec: q.parts.join('.'), kind });
      k = q.next - 1;
    }
  }
  return packageName === undefined ? { imports } : { imports, packageName };
}

/** Names of the top-level declarations of a Kotlin file (depth-0 `class`/`object`/`interface`/`typealias`/`fun`/`val`/`var`). */
export function kotlinTopLevelNames(text: string): string[] {
  const names: string[] = [];
  const n = text.length;
  let i = 0;
  let parens = 0; // constructor parameters `class A(val x: Int)` are not top-level declarations

  const skipString = (q: number): number => {
    const raw = text.startsWith('"""', q);
    let j = q + (raw ? 3 : 1);
    while (j < n) {
      const c = text.charCodeAt(j);
      if (raw && c === 34 && text.startsWith('"""', j)) { j += 3; while (text.charCodeAt(j) === 34) j++; return j; }
      if (!raw && c === 34) return j + 1;
      if (!raw && c === 10) return j;
      if (!raw && c === 92) { j += 2; continue; }
      if (c === 36 /* $ */ && text.charCodeAt(j + 1) === 123) { j = skipCode(j + 2, true); continue; }
      j++;
    }
    return n;
  };
  // the index after a comment, string or char literal starting at `k`, or -1 when none starts there
  const skipTrivia = (k: number): number => {
    const c = text.charCodeAt(k);
    if (c === 47 && text.charCodeAt(k + 1) === 47) { while (k < n && text.charCodeAt(k) !== 10) k++; return k; }
    if (c === 47 && text.charCodeAt(k + 1) === 42) return skipBlockComment(text, k, true);
    if (c === 34) return skipString(k);
    if (c === 39) { // char literal
      let j = k + 1;
      while (j < n && text.charCodeAt(j) !== 39 && text.charCodeAt(j) !== 10) j += text.charCodeAt(j) === 92 ? 2 : 1;
      return j + 1;
    }
    return -1;
  };
  // skips code until the `}` closing an open brace (when `nested`), returns the index after it
  const skipCode = (k: number, nested: boolean): number => {
    let depth = 0;
    while (k < n) {
      const after = skipTrivia(k);
      if (after >= 0) { k = after; continue; }
      const c = text.charCodeAt(k);
      if (c === 123) depth++;
      else if (c === 125) { if (depth === 0 && nested) return k + 1; depth = Math.max(0, depth - 1); }
      k++;
    }
    return n;
  };

  const skipWs = (k: number): number => { while (k < n && text.charCodeAt(k) <= 32) k++; return k; };
  const skipBalanced = (k: number, open: number, close: number): number => {
    let d = 0;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === open) d++;
      else if (c === close && --d === 0) return k + 1;
      else if (c === 123 || c === 59) return k; // give up at `{` or `;`
    }
    return n;
  };
  const readIdent = (k: number): { name: string; next: number } | undefined => {
    if (text.charCodeAt(k) === 96) { const e = text.indexOf('`', k + 1); return e < 0 ? undefined : { name: text.slice(k + 1, e), next: e + 1 }; }
    if (!isIdentStart(text.charCodeAt(k))) return undefined;
    let j = k + 1;
    while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    return { name: text.slice(k, j), next: j };
  };
  /** After `fun`/`val`/`var`: the declared name, the last identifier of the receiver chain. */
  const memberName = (k: number): string | undefined => {
    k = skipWs(k);
    if (text.charCodeAt(k) === 60) k = skipWs(skipBalanced(k, 60, 62));
    if (text.charCodeAt(k) === 40) { k = skipWs(skipBalanced(k, 40, 41)); if (text.charCodeAt(k) === 63) k++; if (text.charCodeAt(k) !== 46) return undefined; k = skipWs(k + 1); }
    let last: string | undefined;
    for (;;) {
      const id = readIdent(k);
      if (!id) return last;
      last = id.name;
      k = skipWs(id.next);
      if (text.charCodeAt(k) === 60) k = skipWs(skipBalanced(k, 60, 62));
      if (text.charCodeAt(k) === 63) k = skipWs(k + 1);
      if (text.charCodeAt(k) === 46) { k = skipWs(k + 1); continue; }
      return last;
    }
  };

  while (i < n) {
    const after = skipTrivia(i);
    if (after >= 0) { i = after; continue; }
    const c = text.charCodeAt(i);
    if (c === 123) { i = skipCode(i + 1, true); continue; }
    if (c === 40) parens++;
    else if (c === 41) parens = Math.max(0, parens - 1);
    if (parens === 0 && isIdentStart(c) && (i === 0 || !isIdentPart(text.charCodeAt(i - 1)))) {
      const id = readIdent(i)!;
      i = id.next;
      const w = id.name;
      if (w === 'class' || w === 'interface' || w === 'object' || w === 'typealias') {
        const nm = readIdent(skipWs(i));
        if (nm) { names.push(nm.name); i = nm.next; }
      } else if (w === 'fun' || w === 'val' || w === 'var') {
        const after = skipWs(i);
        if (w === 'fun' && text.startsWith('interface', after)) continue;
        const nm = memberName(i);
        if (nm) names.push(nm);
      }
      continue;
    }
    i++;
  }
  return names;
}

function commonSegments(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  let k = 0;
  while (k < as.length && k < bs.length && as[k] === bs[k]) k++;
  return k;
}

const testSegment = /(?:^|\/)(?:test|tests|androidTest|testFixtures|jvmTest|commonTest|jsTest|nativeTest)(?:\/|$)/;

function createJvmResolver(repo: RepoIndex): ImportResolver {
  const byName = new Map<string, string[]>();
  const byPackage = new Map<string, string[]>();
  const declared = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, file: string): void => {
    const list = map.get(key);
    if (!list) map.set(key, [file]);
    else if (list[list.length - 1] !== file) list.push(file);
  };
  for (const p of repo.paths) {
    const java = p.endsWith('.java');
    const kotlin = p.endsWith('.kt') || p.endsWith('.kts');
    if (!java && !kotlin) continue;
    const pkg = repo.factsOf(p)?.packageName ?? '';
    const prefix = pkg ? pkg + '.' : '';
    add(byPackage, pkg, p);
    const base = p.slice(p.lastIndexOf('/') + 1).replace(/\..*$/, '');
    const names = java ? [base] : [...kotlinTopLevelNames(repo.readText(p) ?? ''), base.charAt(0).toUpperCase() + base.slice(1) + 'Kt'];
    declared.set(p, names);
    for (const name of names) add(byName, prefix + name, p);
  }

  /** Drops test sources unless the importer is a test too; among several declarations of one name keeps the closest. */
  const pick = (from: string, candidates: readonly string[], closest: boolean): string[] => {
    const visible = testSegment.test(from) ? [...candidates] : candidates.filter((c) => !testSegment.test(c));
    if (!closest || visible.length <= 1) return visible;
    let best = -1;
    let winners: string[] = [];
    for (const c of visible) {
      const k = commonSegments(dirOf(c), dirOf(from));
      if (k > best) { best = k; winners = [c]; } else if (k === best) winners.push(c);
    }
    return winners;
  };

  /** Identifiers written in a file (a plain regex: names in comments count too, they are references as well). */
  const identifiersOf = (path: string): Set<string> => new Set((repo.readText(path) ?? '').match(/[A-Za-z_$][\w$]*/g) ?? []);

  const resolveSpec = (from: string, spec: string, used: () => Set<string>): string[] => {
    const parts = spec.split('.');
    if (parts[parts.length - 1] === '*') {
      const owner = parts.slice(0, -1).join('.');
      const files = byPackage.get(owner);
      if (files) {
        // a wildcard brings in the package's names; keep the files declaring a name the importer uses
        const names = used();
        return pick(from, files, false).filter((f) => (declared.get(f) ?? []).some((nm) => names.has(nm)));
      }
      parts.pop();
    }
    for (let k = parts.length; k >= 1; k--) {
      const files = byName.get(parts.slice(0, k).join('.'));
      if (files) return pick(from, files, true);
    }
    return [];
  };

  return (path: string, facts: FileFacts): string[] => {
    const out = new Set<string>();
    let ids: Set<string> | undefined;
    const used = (): Set<string> => (ids ??= identifiersOf(path));
    for (const rec of facts.imports) for (const f of resolveSpec(path, rec.spec, used)) out.add(f);
    out.delete(path);
    return [...out].sort();
  };
}

export const jvmImports: LanguageImports = {
  languages: ['java', 'kotlin'],
  extract: extractJvm,
  createResolver: createJvmResolver,
};
