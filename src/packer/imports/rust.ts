/**
 * Rust `mod` / `use` / `extern crate` extraction and resolution.
 *
 * Extraction tokenizes the file (nested block comments, strings, raw strings, byte strings, char literals
 * vs lifetimes) and reads:
 * - `mod x;` → `{ kind: 'mod', spec: 'x' }`; inside inline modules `mod a { mod x; }` → spec `a::x`;
 *   with `#[path = "p"]` → `{ kind: 'mod-path', spec: 'p', names: ['x'] }`;
 * - `use` trees → `{ kind: 'use', spec: prefix, names: leaves }` for `use p::{a, b::c}`, or
 *   `{ kind: 'use', spec: 'p::a' }` without a group (`as` renames dropped, `self` kept as a name, globs as `*`).
 *   `self::` / `super::` paths written inside inline modules are rewritten relative to the file's own module
 *   (`mod tests { use super::*; }` → `self::*`), so they resolve to the right file;
 * - `extern crate x;` → `{ kind: 'extern-crate', spec: 'x' }` (external, not resolved).
 *
 * Resolution builds each crate's module tree from its roots (src/lib.rs, src/main.rs, src/bin/*.rs,
 * tests/, examples/, benches/, build.rs and the `[lib]`/`[[bin]]`/… paths of the nearest Cargo.toml),
 * following `mod` declarations, so every reachable file knows its module path. A `use` path resolves to the
 * deepest module of that path that has a file (items inside a module map to the module's file); it starts at
 * `crate::`, `self::`, `super::`, a child module of the current module, or another crate of the repository
 * by its library name (`[package] name` with `-` → `_`). Files no root reaches get a module path from their
 * place under the nearest crate's `src/`.
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import { dirOf, joinPath, nearestConfig } from './repoPath.js';

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Tokens: identifiers, `::`, string literal values as `"…`, single punctuation characters. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c <= 32) { i++; continue; }
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) { const e = text.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; }
      if (d === 42) {
        let depth = 1;
        i += 2;
        while (i < n && depth > 0) {
          const x = text.charCodeAt(i);
          if (x === 47 && text.charCodeAt(i + 1) === 42) { depth++; i += 2; }
          else if (x === 42 && text.charCodeAt(i + 1) === 47) { depth--; i += 2; }
          else i++;
        }
        continue;
      }
    }
    if (isIdentStart(c)) {
      // raw strings r"…", r#"…"#, br"…"; byte strings b"…"; raw identifiers r#name
      if ((c === 114 /* r */ || c === 98 /* b */) && i + 1 < n) {
        let j = i + (c === 98 && text.charCodeAt(i + 1) === 114 ? 2 : 1);
        const raw = text.charCodeAt(j - 1) === 114;
        if (raw) {
          let hashes = 0;
          while (text.charCodeAt(j) === 35) { hashes++; j++; }
          if (text.charCodeAt(j) === 34) {
            const close = '"' + '#'.repeat(hashes);
            const e = text.indexOf(close, j + 1);
            out.push('"' + text.slice(j + 1, e < 0 ? n : e));
            i = e < 0 ? n : e + close.length;
            continue;
          }
          if (hashes === 1 && c === 114 && isIdentStart(text.charCodeAt(j))) {
            let k = j;
            while (k < n && isIdentPart(text.charCodeAt(k))) k++;
            out.push(text.slice(j, k) === 'crate' || text.slice(j, k) === 'self' ? 'r#' + text.slice(j, k) : text.slice(j, k));
            i = k;
            continue;
          }
        } else if (c === 98 && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39)) {
          i++; // byte string / byte char: handled as a plain literal below
          continue;
        }
      }
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      out.push(text.slice(i, j));
      i = j;
      continue;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      out.push('"' + text.slice(i + 1, Math.min(j, n))); // escapes kept as written: only #[path] values are read
      i = j + 1;
      continue;
    }
    if (c === 39 /* ' */) {
      // char literal 'x', '\n', '\u{..}' vs lifetime 'a
      if (text.charCodeAt(i + 1) === 92) {
        const e = text.indexOf("'", i + 3);
        i = e < 0 ? n : e + 1;
        continue;
      }
      const cp = text.codePointAt(i + 1) ?? 0;
      const w = cp > 0xffff ? 2 : 1;
      if (text.charCodeAt(i + 1 + w) === 39) { i += 2 + w; continue; }
      i++; // lifetime: the identifier follows as a normal token
      continue;
    }
    if (c === 58 /* : */ && text.charCodeAt(i + 1) === 58) { out.push('::'); i += 2; continue; }
    out.push(text[i]!);
    i++;
  }
  return out;
}

/** Parses a use tree at `toks[k]`; appends leaf paths (segment arrays) to `leaves`; returns the index after it. */
function parseUseTree(toks: string[], k: number, prefix: string[], leaves: string[][]): number {
  const path = [...prefix];
  if (toks[k] === '::') k++; // leading `::` (2015 absolute path)
  for (;;) {
    const t = toks[k];
    if (t === '{') {
      k++;
      while (k < toks.length && toks[k] !== '}') {
        if (toks[k] === ',') { k++; continue; }
        const before = k;
        k = parseUseTree(toks, k, path, leaves);
        if (k === before) k++;
      }
      return k + 1;
    }
    if (t === '*') { leaves.push([...path, '*']); return k + 1; }
    if (t === undefined || !isIdentStart(t.charCodeAt(0))) { if (path.length > prefix.length) leaves.push(path); return k; }
    path.push(t);
    k++;
    if (toks[k] === '::') { k++; continue; }
    if (toks[k] === 'as') k += 2;
    leaves.push(path);
    return k;
  }
}

/** Rewrites a path written inside inline modules `inline` to be relative to the file's own module. */
function relativeToFile(path: string[], inline: readonly string[]): string[] {
  if (inline.length === 0) return path;
  if (path[0] === 'self') return ['self', ...inline, ...path.slice(1)];
  if (path[0] === 'super') {
    let ups = 0;
    while (path[ups] === 'super') ups++;
    const rest = path.slice(ups);
    if (ups <= inline.length) return ['self', ...inline.slice(0, inline.length - ups), ...rest];
    return [...Array<string>(ups - inline.length).fill('super'), ...rest];
  }
  return path;
}

/** Extracts `mod`, `use` and `extern crate` items. Pure function of the text. */
export function extractRust(text: string): FileFacts {
  const toks = tokenize(text);
  const imports: ImportRecord[] = [];
  const inline: { name: string; depth: number }[] = [];
  let depth = 0;
  let pendingPath: string | undefined;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t === '{') { depth++; pendingPath = undefined; continue; }
    if (t === '}') {
      depth--;
      while (inline.length && inline[inline.length - 1]!.depth > depth) inline.pop();
      pendingPath = undefined;
      continue;
    }
    if (t === ';') { pendingPath = undefined; continue; }
    if (t === '#' && (toks[k + 1] === '[' || (toks[k + 1] === '!' && toks[k + 2] === '['))) {
      // attribute: remember #[path = "…"] for the next `mod`
      let j = k + (toks[k + 1] === '[' ? 2 : 3);
      if (toks[j] === 'path' && toks[j + 1] === '=' && toks[j + 2]?.startsWith('"') && toks[j + 3] === ']') pendingPath = toks[j + 2]!.slice(1);
      let bracket = 1;
      while (j < toks.length && bracket > 0) {
        if (toks[j] === '[') bracket++;
        else if (toks[j] === ']') bracket--;
        j++;
      }
      k = j - 1;
      continue;
    }
    if (t !== 'mod' && t !== 'use' && t !== 'extern') continue;
    const names = inline.map((m) => m.name);
    if (t === 'mod') {
      const name = toks[k + 1];
      if (!name || !isIdentStart(name.charCodeAt(0))) continue;
      if (toks[k + 2] === ';') {
        if (pendingPath !== undefined && inline.length === 0) imports.push({ spec: pendingPath, kind: 'mod-path', names: [name] });
        else imports.push({ spec: [...names, name].join('::'), kind: 'mod' });
        pendingPath = undefined;
        k += 2;
      } else if (toks[k + 2] === '{') {
        depth++;
        inline.push({ name, depth });
        pendingPath = undefined;
        k += 2;
      }
      continue;
    }
    if (t === 'use') {
      if (toks[k + 1] === '$') continue; // `use $crate::…` in a macro body
      const leaves: string[][] = [];
      const end = parseUseTree(toks, k + 1, [], leaves);
      k = Math.max(k, end - 1);
      const paths = leaves.map((l) => relativeToFile(l, names));
      if (paths.length === 1) { imports.push({ spec: paths[0]!.join('::'), kind: 'use' }); continue; }
      if (paths.length === 0) continue;
      // common prefix, leaving at least one segment to every name
      let common = Math.min(...paths.map((p) => p.length)) - 1;
      for (let s = 0; s < common; s++) if (paths.some((p) => p[s] !== paths[0]![s])) { common = s; break; }
      imports.push({ spec: paths[0]!.slice(0, common).join('::'), kind: 'use', names: paths.map((p) => p.slice(common).join('::')) });
      continue;
    }
    if (t === 'extern' && toks[k + 1] === 'crate' && toks[k + 2] && isIdentStart(toks[k + 2]!.charCodeAt(0))) {
      imports.push({ spec: toks[k + 2]!, kind: 'extern-crate' });
      k += 2;
    }
  }
  return { imports };
}

interface Manifest { dir: string; name?: string; libName?: string; libPath?: string; targets: string[]; autoTests: boolean }

/** A tiny reader for the Cargo.toml keys that matter here: `[package] name`, `[lib] name/path`, target paths. */
function parseManifest(text: string, dir: string): Manifest {
  const m: Manifest = { dir, targets: [], autoTests: true };
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const h = /^\[\[?\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (h) { section = h[1]!; continue; }
    const kv = /^([A-Za-z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(line);
    if (!kv) continue;
    const key = kv[1]!;
    const value = kv[2] ?? kv[3] ?? kv[4] ?? '';
    if (section === 'package' && key === 'name') m.name = value;
    else if (section === 'package' && key === 'build' && kv[2] !== undefined) m.targets.push(value);
    else if (section === 'package' && key === 'autotests' && value === 'false') m.autoTests = false;
    else if (section === 'lib' && key === 'path') m.libPath = value;
    else if (section === 'lib' && key === 'name') m.libName = value;
    else if ((section === 'bin' || section === 'test' || section === 'example' || section === 'bench') && key === 'path') m.targets.push(value);
  }
  return m;
}

interface Crate { root: string; manifest: Manifest; modules: Map<string, string> }
interface Place { crate: Crate; mod: string[] }

function createRustResolver(repo: RepoIndex): ImportResolver {
  const rsFiles = repo.paths.filter((p) => p.endsWith('.rs'));
  const rsSet = new Set(rsFiles);

  // Cargo.toml files on the way up from every Rust file
  const cargoTomls = nearestConfig((path) => repo.readText(path), 'Cargo.toml', parseManifest);
  const nearestManifest = cargoTomls.nearest;
  for (const p of rsFiles) nearestManifest(dirOf(p));
  const manifests = cargoTomls.found();

  const at = (m: Manifest, rel: string): string | undefined => {
    const p = joinPath(m.dir, rel);
    return p !== undefined && rsSet.has(p) ? p : undefined;
  };
  const crates: Crate[] = [];
  const libByName = new Map<string, Crate>();
  const rootSet = new Set<string>();
  for (const m of manifests) {
    const prefix = m.dir === '' ? '' : m.dir + '/';
    const roots: string[] = [];
    const lib = at(m, m.libPath ?? 'src/lib.rs');
    for (const rel of ['src/main.rs', 'build.rs', ...m.targets]) { const p = at(m, rel); if (p) roots.push(p); }
    for (const p of rsFiles) {
      if (!p.startsWith(prefix)) continue;
      const rel = p.slice(prefix.length);
      if (/^src\/bin\/[^/]+\.rs$/.test(rel) || /^src\/bin\/[^/]+\/main\.rs$/.test(rel) || /^(?:examples|benches)\/[^/]+\.rs$/.test(rel) ||
        /^examples\/[^/]+\/main\.rs$/.test(rel) || (m.autoTests && /^tests\/[^/]+\.rs$/.test(rel))) roots.push(p);
    }
    const all = lib ? [lib, ...roots.filter((r) => r !== lib)] : roots;
    for (const root of new Set(all)) {
      const crate: Crate = { root, manifest: m, modules: new Map() };
      crates.push(crate);
      rootSet.add(root);
      if (root === lib) {
        const libName = (m.libName ?? m.name ?? '').replace(/-/g, '_');
        if (libName && !libByName.has(libName)) libByName.set(libName, crate);
      }
    }
  }

  /** The files a `mod` record of `file` may name, in order of preference. */
  const modCandidates = (file: string, rec: ImportRecord): string[] => {
    const dir = dirOf(file);
    if (rec.kind === 'mod-path') { const p = joinPath(dir, rec.spec); return p ? [p] : []; }
    if (rec.kind !== 'mod') return [];
    const segs = rec.spec.split('::');
    const base = file.slice(file.lastIndexOf('/') + 1);
    const modRs = rootSet.has(file) || base === 'mod.rs' || base === 'lib.rs' || base === 'main.rs';
    const childDirs = modRs ? [dir] : [file.slice(0, -3), dir];
    const out: string[] = [];
    for (const cd of childDirs) {
      const stem = (cd === '' ? '' : cd + '/') + segs.join('/');
      out.push(stem + '.rs', stem + '/mod.rs');
    }
    return out;
  };
  const modTarget = (file: string, rec: ImportRecord): string | undefined => modCandidates(file, rec).find((p) => rsSet.has(p));

  // module trees
  const places = new Map<string, Place[]>();
  const addPlace = (file: string, place: Place): void => {
    const list = places.get(file);
    if (list) list.push(place); else places.set(file, [place]);
  };
  for (const crate of crates) {
    const queue: { file: string; mod: string[] }[] = [{ file: crate.root, mod: [] }];
    crate.modules.set('', crate.root);
    while (queue.length) {
      const { file, mod } = queue.shift()!;
      addPlace(file, { crate, mod });
      for (const rec of repo.factsOf(file)?.imports ?? []) {
        if (rec.kind !== 'mod' && rec.kind !== 'mod-path') continue;
        const target = modTarget(file, rec);
        if (!target) continue;
        const childMod = [...mod, ...(rec.kind === 'mod' ? rec.spec.split('::') : (rec.names ?? []))];
        const key = childMod.join('::');
        if (crate.modules.has(key)) continue;
        crate.modules.set(key, target);
        queue.push({ file: target, mod: childMod });
      }
    }
  }
  // files no crate root reaches: a module path from their place under the nearest crate's src/
  for (const file of rsFiles) {
    if (places.has(file)) continue;
    const m = nearestManifest(dirOf(file));
    if (!m) continue;
    const src = (m.dir === '' ? '' : m.dir + '/') + 'src/';
    if (!file.startsWith(src)) continue;
    const crate = crates.find((c) => c.manifest === m && c.root.startsWith(src) && dirOf(c.root) + '/' === src);
    if (!crate) continue;
    const mod = file.slice(src.length).replace(/(?:\/mod)?\.rs$/, '').split('/');
    const key = mod.join('::');
    if (!crate.modules.has(key)) crate.modules.set(key, file);
    addPlace(file, { crate, mod });
  }

  const resolvePath = (segs: string[], place: Place): string | undefined => {
    let crate = place.crate;
    let base: string[];
    let rest: string[];
    const first = segs[0];
    if (first === undefined || first === '$crate') return undefined;
    if (first === 'crate') { base = []; rest = segs.slice(1); }
    else if (first === 'self') { base = place.mod; rest = segs.slice(1); }
    else if (first === 'super') {
      let ups = 0;
      while (segs[ups] === 'super') ups++;
      if (ups > place.mod.length) return undefined;
      base = place.mod.slice(0, place.mod.length - ups);
      rest = segs.slice(ups);
    } else if (crate.modules.has([...place.mod, first].join('::'))) {
      base = place.mod; rest = segs;
    } else {
      const other = libByName.get(first);
      if (!other) return undefined;
      crate = other; base = []; rest = segs.slice(1);
    }
    let best = crate.modules.get(base.join('::'));
    const cur = [...base];
    for (const s of rest) {
      if (s === '*' || s === 'self') break;
      cur.push(s);
      const f = crate.modules.get(cur.join('::'));
      if (f !== undefined) best = f; // a gap only happens among files no root reaches
    }
    return best;
  };

  return (path: string, facts: FileFacts): string[] => {
    const out = new Set<string>();
    const myPlaces = places.get(path) ?? [];
    for (const rec of facts.imports) {
      if (rec.kind === 'mod' || rec.kind === 'mod-path') {
        const t = modTarget(path, rec);
        if (t) out.add(t);
        continue;
      }
      if (rec.kind !== 'use') continue;
      const prefix = rec.spec === '' ? [] : rec.spec.split('::');
      const leaves = rec.names ? rec.names.map((n) => (n === 'self' ? prefix : [...prefix, ...n.split('::')])) : [prefix];
      for (const place of myPlaces) {
        for (const leaf of leaves) {
          const f = resolvePath(leaf, place);
          if (f) out.add(f);
        }
      }
    }
    out.delete(path);
    return [...out].sort();
  };
}

export const rustImports: LanguageImports = {
  languages: ['rust'],
  extract: (text: string) => extractRust(text),
  createResolver: createRustResolver,
};
