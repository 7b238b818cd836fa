/**
 * Python import extraction and resolution.
 *
 * Extraction scans the text once, skipping comments and string literals (all prefixes, triple quotes),
 * and reads `import …` / `from … import …` statements wherever a statement may start: at the start of
 * a logical line (any indentation: imports inside functions, `try` and `if` blocks are real imports),
 * after `;`, and after a block colon (`try: import x`). Parenthesised name lists and backslash
 * continuations are joined.
 *
 * Resolution mirrors Python's path-based finder without running anything: relative imports against the
 * file's package directory; absolute ones through the repository's package roots (first the directory above
 * the importing file's top-level package, or its own directory when it is not in a package, as for a script;
 * then the repo root, `src/`, directories holding setup.py/setup.cfg/pyproject.toml, and the parents of
 * top-level packages), one
 * dotted component at a time, with regular packages (`__init__.py`) winning over namespace packages.
 * Edges: `import a.b.c` → only the module `a.b.c` itself (the parents' `__init__.py` run too, but an edge
 * to every ancestor package would mostly add noise); `from a import b` → `a/b` if `b` is a submodule,
 * else `a`'s own file (`a/__init__.py` or `a.py`).
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import { childPath, dirOf } from './repoPath.js';

const enum Ch {
  Tab = 9, LF = 10, CR = 13, FF = 12, Space = 32, Quote = 34, Hash = 35, Apos = 39, LParen = 40, RParen = 41,
  Colon = 58, Semi = 59, LBracket = 91, Backslash = 92, RBracket = 93, LBrace = 123, RBrace = 125,
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** End index of the string literal whose opening quote is at `q`. */
function skipString(text: string, q: number): number {
  const quote = text.charCodeAt(q);
  const n = text.length;
  const triple = text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
  let i = q + (triple ? 3 : 1);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backslash) { i += 2; continue; }
    if (c === quote) {
      if (!triple) return i + 1;
      if (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote) return i + 3;
    } else if (c === Ch.LF && !triple) {
      return i; // unterminated single-line string: stop at the line end
    }
    i++;
  }
  return n;
}

const stringPrefixes = new Set(['r', 'u', 'b', 'f', 'br', 'rb', 'fr', 'rf', 't', 'tr', 'rt']);

/** Reads the statement text from `start` to its end (newline outside brackets, `;`), joining lines and dropping comments. */
function readStatement(text: string, start: number): { stmt: string; end: number } {
  const n = text.length;
  let depth = 0;
  let out = '';
  let i = start;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backslash && (text.charCodeAt(i + 1) === Ch.LF || (text.charCodeAt(i + 1) === Ch.CR && text.charCodeAt(i + 2) === Ch.LF))) {
      out += ' ';
      i += text.charCodeAt(i + 1) === Ch.LF ? 2 : 3;
      continue;
    }
    if (c === Ch.Hash) {
      while (i < n && text.charCodeAt(i) !== Ch.LF) i++;
      continue;
    }
    if (c === Ch.LF) {
      if (depth === 0) break;
      out += ' ';
      i++;
      continue;
    }
    if (c === Ch.Semi && depth === 0) break;
    if (c === Ch.Quote || c === Ch.Apos) break; // not part of an import statement
    if (c === Ch.LParen) depth++;
    else if (c === Ch.RParen) depth = Math.max(0, depth - 1);
    out += text[i];
    i++;
  }
  return { stmt: out, end: i };
}

const dotted = String.raw`[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*(?:\s*\.\s*[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)*`;
const importRe = new RegExp(String.raw`^import\s+(.+)$`, 's');
const fromRe = new RegExp(String.raw`^from\s*((?:\.\s*)*)(${dotted})?\s*import\b\s*(.*)$`, 's');
const aliasRe = new RegExp(String.raw`^(${dotted})(?:\s+as\s+[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?$`);

function parseImport(stmt: string, out: ImportRecord[]): void {
  const s = stmt.trim();
  if (s.startsWith('import')) {
    const m = importRe.exec(s);
    if (!m) return;
    for (const part of m[1]!.split(',')) {
      const a = aliasRe.exec(part.trim());
      if (a) out.push({ spec: a[1]!.replace(/\s+/g, ''), kind: 'import' });
    }
    return;
  }
  const m = fromRe.exec(s);
  if (!m) return;
  const dots = m[1]!.replace(/\s+/g, '');
  const mod = (m[2] ?? '').replace(/\s+/g, '');
  if (!dots && !mod) return;
  let rest = m[3]!.trim();
  if (rest.startsWith('(')) rest = rest.slice(1, rest.endsWith(')') ? -1 : undefined);
  const names: string[] = [];
  if (rest.trim() === '*') names.push('*');
  else {
    for (const part of rest.split(',')) {
      const p = part.trim();
      if (!p) continue;
      const a = aliasRe.exec(p);
      if (a && !a[1]!.includes('.')) names.push(a[1]!);
    }
  }
  if (names.length === 0) return;
  out.push({ spec: dots + mod, kind: 'from', names });
}

/** Extracts Python imports. Pure function of the text. */
export function extractPython(text: string): FileFacts {
  const imports: ImportRecord[] = [];
  const n = text.length;
  let depth = 0;
  let stmtStart = true;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.LF) { if (depth === 0) stmtStart = true; i++; continue; }
    if (c === Ch.Space || c === Ch.Tab || c === Ch.CR || c === Ch.FF) { i++; continue; }
    if (c === Ch.Hash) { while (i < n && text.charCodeAt(i) !== Ch.LF) i++; continue; }
    if (c === Ch.Backslash) { i += text.charCodeAt(i + 1) === Ch.CR ? 3 : 2; continue; } // line continuation
    if (c === Ch.Quote || c === Ch.Apos) { i = skipString(text, i); stmtStart = false; continue; }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const q = text.charCodeAt(j);
      if ((q === Ch.Quote || q === Ch.Apos) && j - i <= 2 && stringPrefixes.has(text.slice(i, j).toLowerCase())) {
        i = skipString(text, j);
        stmtStart = false;
        continue;
      }
      if (stmtStart && depth === 0 && (j - i === 6 || j - i === 4)) {
        const word = text.slice(i, j);
        if ((word === 'import' || word === 'from') && (j >= n || !isIdentPart(q)) && q !== Ch.LParen && q !== 46 /* . */ && q !== 61 /* = */) {
          const { stmt, end } = readStatement(text, i);
          parseImport(stmt, imports);
          i = end;
          stmtStart = false;
          continue;
        }
      }
      stmtStart = false;
      i = j;
      continue;
    }
    if (c === Ch.LParen || c === Ch.LBracket || c === Ch.LBrace) depth++;
    else if (c === Ch.RParen || c === Ch.RBracket || c === Ch.RBrace) depth = Math.max(0, depth - 1);
    if ((c === Ch.Semi || c === Ch.Colon) && depth === 0) stmtStart = true;
    else stmtStart = false;
    i++;
  }
  return { imports };
}

/** A module found by the path finder: its file (undefined for a namespace package) and, for packages, its search dirs. */
interface Found { file?: string; dirs?: string[] }

function createPythonResolver(repo: RepoIndex): ImportResolver {
  const files = new Set<string>();
  const dirs = new Set<string>(['']);
  for (const p of repo.paths) {
    if (p.endsWith('.py') || p.endsWith('.pyi')) files.add(p);
    for (let d = dirOf(p); d !== '' && !dirs.has(d); d = dirOf(d)) dirs.add(d);
  }
  const initOf = (dir: string): string | undefined => {
    const py = childPath(dir, '__init__.py');
    if (files.has(py)) return py;
    const pyi = childPath(dir, '__init__.pyi');
    return files.has(pyi) ? pyi : undefined;
  };
  const isPackage = (dir: string): boolean => dir !== '' && initOf(dir) !== undefined;

  const rootSet = new Set<string>(['']);
  if (dirs.has('src')) rootSet.add('src');
  for (const p of repo.paths) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (base === 'setup.py' || base === 'setup.cfg' || base === 'pyproject.toml') rootSet.add(dirOf(p));
    if (base === '__init__.py' || base === '__init__.pyi') {
      const pkg = dirOf(p);
      const parent = dirOf(pkg);
      if (pkg !== '' && !isPackage(parent)) rootSet.add(parent);
    }
  }
  // repo root first, then shallower roots before deeper ones
  const roots = [...rootSet].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.split('/').length - b.split('/').length || (a < b ? -1 : 1)));

  /** One step of the path finder: module `name` in the search dirs. */
  function findIn(searchDirs: readonly string[], name: string): Found | undefined {
    const portions: string[] = [];
    for (const d of searchDirs) {
      const pkg = childPath(d, name);
      if (dirs.has(pkg)) {
        const init = initOf(pkg);
        if (init) return { file: init, dirs: [pkg] };
      }
      for (const ext of ['.py', '.pyi']) if (files.has(pkg + ext)) return { file: pkg + ext };
      if (dirs.has(pkg)) portions.push(pkg);
    }
    return portions.length ? { dirs: portions } : undefined;
  }

  function findDotted(searchDirs: readonly string[], name: string): Found | undefined {
    let found: Found | undefined;
    let search = searchDirs;
    for (const part of name.split('.')) {
      if (found && !found.dirs) return undefined; // a plain module has no submodules
      found = findIn(search, part);
      if (!found) return undefined;
      search = found.dirs ?? [];
    }
    return found;
  }

  // search path per importing directory: a script's own directory, or the root holding the file's
  // top-level package, first (as when that code runs), then every root
  const searchCache = new Map<string, string[]>();
  function searchPathFor(fileDir: string): string[] {
    let top = fileDir;
    while (isPackage(top)) top = dirOf(top);
    let path = searchCache.get(top);
    if (!path) {
      path = [top, ...roots.filter((r) => r !== top)];
      searchCache.set(top, path);
    }
    return path;
  }

  const absCache = new Map<string, Found | undefined>();
  function findAbsolute(name: string, fileDir: string): Found | undefined {
    const search = searchPathFor(fileDir);
    const key = search[0] + '|' + name;
    if (absCache.has(key)) return absCache.get(key);
    const found = findDotted(search, name);
    absCache.set(key, found);
    return found;
  }

  /** How many package levels the directory is deep: regular packages up the chain, else (namespace packages) the distance below the closest root. */
  function packageDepth(dir: string): number {
    let depth = 0;
    for (let d = dir; isPackage(d); d = dirOf(d)) depth++;
    if (depth > 0) return depth;
    let best = -1;
    for (const r of roots) {
      if (r === dir) return 0;
      if (r === '' || dir.startsWith(r + '/')) best = Math.max(best, r === '' ? 0 : r.split('/').length);
    }
    return dir === '' || best < 0 ? 0 : dir.split('/').length - best;
  }

  function findRelative(spec: string, fileDir: string): Found | undefined {
    let level = 0;
    while (spec.charCodeAt(level) === 46) level++;
    if (level > packageDepth(fileDir)) return undefined; // beyond the top-level package: ImportError
    let base = fileDir;
    for (let k = 1; k < level; k++) base = dirOf(base);
    const rest = spec.slice(level);
    if (rest === '') {
      const init = initOf(base);
      return { file: init, dirs: [base] };
    }
    return findDotted([base], rest);
  }

  return (path: string, facts: FileFacts): string[] => {
    const fileDir = dirOf(path);
    const out = new Set<string>();
    for (const rec of facts.imports) {
      const relative = rec.spec.startsWith('.');
      const found = relative ? findRelative(rec.spec, fileDir) : findAbsolute(rec.spec, fileDir);
      if (!found) continue;
      if (rec.kind === 'from') {
        for (const name of rec.names ?? []) {
          const sub = name !== '*' && found.dirs ? findIn(found.dirs, name) : undefined;
          if (sub) { if (sub.file) out.add(sub.file); } else if (found.file) out.add(found.file);
        }
      } else if (found.file) {
        // `import a.b.c` → a/b/c only: Python also runs a/__init__.py and a/b/__init__.py, but those edges are noise (the oracle agrees)
        out.add(found.file);
      }
    }
    out.delete(path);
    return [...out].sort();
  };
}

export const pythonImports: LanguageImports = {
  languages: ['python'],
  extract: (text: string) => extractPython(text),
  createResolver: createPythonResolver,
};
