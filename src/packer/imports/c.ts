/**
 * C and C++ `#include` extraction and resolution.
 *
 * Extraction is a one-pass scanner over the text: it finds preprocessor directives at the start of a
 * logical line (block comments before the `#` count as whitespace), skips comments, string and
 * character literals and C++ raw strings, and drops directives inside `#if 0` / `#if false` blocks
 * (and the `#else` branch of `#if 1`). Other conditionals are not evaluated: both branches count.
 *
 * Resolution follows a compiler's search: a quoted include first relative to the including file's
 * directory; then (quoted or angled) the directories named `include` in the tree; then, as the stand-in
 * for the `-I` flags of a build we cannot see, a unique path-suffix match (`foo/bar.h` against repo paths
 * ending in `/foo/bar.h`; when several match, the ones sharing the longest directory prefix with the
 * including file win, and a tie resolves to nothing). Angled includes of standard C/C++/POSIX headers
 * never use the suffix match, so `<strings.h>` does not land on a compatibility shim somewhere in the tree.
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import { dirOf, joinPath } from './repoPath.js';

const enum Ch {
  Tab = 9, LF = 10, CR = 13, Space = 32, Quote = 34, Hash = 35, Apos = 39, Star = 42, Slash = 47,
  Lt = 60, Gt = 62, Backslash = 92, VT = 11, FF = 12,
}

function isHSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.VT || c === Ch.FF || c === Ch.CR;
}

function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** Whether the `"` at `q` opens a C++ raw string: it follows an identifier that is exactly R, u8R, uR, UR or LR. */
function isRawPrefix(text: string, q: number): boolean {
  if (text.charCodeAt(q - 1) !== 82 /* R */) return false;
  let s = q - 1;
  while (s > 0 && isIdent(text.charCodeAt(s - 1))) s--;
  const word = text.slice(s, q);
  return word === 'R' || word === 'u8R' || word === 'uR' || word === 'UR' || word === 'LR';
}

/** Index of the newline ending the `//` comment at `i` (a backslash before the newline continues the comment). */
function skipLineComment(text: string, i: number): number {
  const n = text.length;
  for (;;) {
    const e = text.indexOf('\n', i);
    if (e < 0) return n;
    let k = e - 1;
    if (text.charCodeAt(k) === Ch.CR) k--;
    if (text.charCodeAt(k) !== Ch.Backslash) return e;
    i = e + 1;
  }
}

/** Reads one logical directive line from `start` (just after `#`), joining backslash continuations and dropping comments. */
function readDirective(text: string, start: number): { body: string; end: number } {
  let body = '';
  let i = start;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.LF) break;
    if (c === Ch.Backslash && (text.charCodeAt(i + 1) === Ch.LF || (text.charCodeAt(i + 1) === Ch.CR && text.charCodeAt(i + 2) === Ch.LF))) {
      i += text.charCodeAt(i + 1) === Ch.LF ? 2 : 3;
      continue;
    }
    if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      body += ' ';
      continue;
    }
    if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Slash) {
      i = skipLineComment(text, i);
      break;
    }
    if (c === Ch.Quote || c === Ch.Apos || c === Ch.Lt) {
      // keep quoted / angled header names verbatim (a `//` inside `<a//b.h>` is not a comment)
      const close = c === Ch.Lt ? Ch.Gt : c;
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === close || d === Ch.LF) break;
        if (d === Ch.Backslash && c !== Ch.Lt) j++;
        j++;
      }
      if (j < n && text.charCodeAt(j) === close) {
        body += text.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      if (c === Ch.Lt) { body += '<'; i++; continue; }
      body += text.slice(i, j);
      i = j;
      continue;
    }
    body += text[i];
    i++;
  }
  return { body, end: i };
}

const directiveRe = /^\s*([A-Za-z_]+)\s*(.*)$/s;
const includeArgRe = /^(?:"([^"\n]+)"|<([^>\n]+)>)/;

/** Extracts `#include`/`#import` directives. Pure function of the text. */
export function extractC(text: string): FileFacts {
  const imports: ImportRecord[] = [];
  const seen = new Set<string>();
  const n = text.length;
  // Conditional stack: each entry is the state of one #if group.
  // `dead` = this group's current branch is skipped; `resolved` = a branch known to be live was seen, so later ones are dead.
  const stack: { dead: boolean; parentDead: boolean; resolved: boolean }[] = [];
  let dead = false;
  let lineStart = true;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.LF) { lineStart = true; i++; continue; }
    if (isHSpace(c)) { i++; continue; }
    if (c === Ch.Backslash && text.charCodeAt(i + 1) === Ch.LF) { i += 2; continue; }
    if (c === Ch.Backslash && text.charCodeAt(i + 1) === Ch.CR && text.charCodeAt(i + 2) === Ch.LF) { i += 3; continue; }
    if (c === Ch.Slash) {
      const d = text.charCodeAt(i + 1);
      if (d === Ch.Star) {
        const close = text.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
        continue; // a block comment keeps the line-start state
      }
      if (d === Ch.Slash) {
        i = skipLineComment(text, i);
        continue;
      }
    }
    if (c === Ch.Hash && lineStart) {
      const { body, end } = readDirective(text, i + 1);
      i = end;
      const m = directiveRe.exec(body);
      if (!m) continue;
      const name = m[1]!;
      const arg = m[2]!.trim();
      switch (name) {
        case 'if': case 'ifdef': case 'ifndef': {
          const zero = name === 'if' && /^\(?\s*(?:0|false)\s*\)?\s*(?:$|&&)/.test(arg);
          const one = name === 'if' && /^(?:1|true)\s*$/.test(arg);
          stack.push({ dead: zero, parentDead: dead, resolved: one });
          dead = dead || zero;
          break;
        }
        case 'elif': case 'elifdef': case 'elifndef': case 'else': {
          const top = stack[stack.length - 1];
          if (!top) break;
          if (top.resolved) { top.dead = true; }
          else if (name === 'elif' && /^\(?\s*(?:0|false)\s*\)?\s*(?:$|&&)/.test(arg)) { top.dead = true; }
          else { top.dead = false; if (name === 'else' || (name === 'elif' && /^(?:1|true)\s*$/.test(arg))) top.resolved = true; }
          dead = top.parentDead || top.dead;
          break;
        }
        case 'endif': {
          const top = stack.pop();
          if (top) dead = top.parentDead;
          break;
        }
        case 'include': case 'import': case 'include_next': {
          if (dead) break;
          const a = includeArgRe.exec(arg);
          if (!a) break; // `#include MACRO`: not decidable from the text
          const local = a[1] !== undefined;
          const spec = (local ? a[1] : a[2])!.trim();
          const kind = name === 'include_next' ? 'include-next' : local ? 'include-local' : 'include-system';
          const key = kind + '\0' + spec;
          if (!seen.has(key)) { seen.add(key); imports.push({ spec, kind }); }
          break;
        }
        default:
          break;
      }
      continue;
    }
    lineStart = false;
    if (c === Ch.Quote || c === Ch.Apos) {
      // C++ raw string: R"delim( ... )delim" (also u8R, uR, UR, LR)
      if (c === Ch.Quote && isRawPrefix(text, i)) {
        const open = text.indexOf('(', i + 1);
        if (open > 0 && open - i - 1 <= 16 && !/[\s()\\]/.test(text.slice(i + 1, open))) {
          const delim = ')' + text.slice(i + 1, open) + '"';
          const close = text.indexOf(delim, open + 1);
          i = close < 0 ? n : close + delim.length;
          continue;
        }
      }
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === c) { j++; break; }
        if (d === Ch.LF) break; // unterminated literal ends at the line (an apostrophe in `#error don't`, digit separators)
        if (d === Ch.Backslash) j++;
        j++;
      }
      i = j;
      continue;
    }
    // fast-forward over ordinary code up to the next character that matters
    i++;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === Ch.LF || d === Ch.Slash || d === Ch.Quote || d === Ch.Apos || d === Ch.Backslash) break;
      i++;
    }
  }
  return { imports };
}

/** Standard C, C++ and common POSIX/OS headers: an angled include of one never resolves by suffix match. */
const standardHeaders = new Set((
  'assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h setjmp.h signal.h ' +
  'stdalign.h stdarg.h stdatomic.h stdbit.h stdbool.h stdckdint.h stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h ' +
  'threads.h time.h uchar.h wchar.h wctype.h aio.h arpa/inet.h cpio.h dirent.h dlfcn.h fcntl.h fmtmsg.h fnmatch.h ftw.h glob.h ' +
  'grp.h iconv.h langinfo.h libgen.h monetary.h mqueue.h ndbm.h net/if.h netdb.h netinet/in.h netinet/tcp.h nl_types.h poll.h ' +
  'pthread.h pwd.h regex.h sched.h search.h semaphore.h spawn.h strings.h stropts.h syslog.h tar.h termios.h trace.h ' +
  'ulimit.h unistd.h utime.h utmpx.h wordexp.h malloc.h alloca.h memory.h execinfo.h getopt.h err.h endian.h byteswap.h ' +
  'features.h values.h windows.h winsock2.h ws2tcpip.h io.h process.h direct.h conio.h intrin.h ' +
  'algorithm any array atomic barrier bit bitset cassert ccomplex cctype cerrno cfenv cfloat charconv chrono cinttypes ciso646 ' +
  'climits clocale cmath codecvt compare complex concepts condition_variable coroutine csetjmp csignal cstdalign cstdarg cstdbool ' +
  'cstddef cstdint cstdio cstdlib cstring ctgmath ctime cuchar cwchar cwctype deque exception execution expected filesystem ' +
  'flat_map flat_set format forward_list fstream functional future generator initializer_list iomanip ios iosfwd iostream ' +
  'istream iterator latch limits list locale map mdspan memory memory_resource mutex new numbers numeric optional ostream ' +
  'print queue random ranges ratio regex scoped_allocator semaphore set shared_mutex source_location span spanstream sstream ' +
  'stack stacktrace stdexcept stdfloat stop_token streambuf string string_view strstream syncstream system_error thread tuple ' +
  'type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector version'
).split(' '));
const systemPrefixes = ['sys/', 'linux/', 'asm/', 'asm-generic/', 'bits/', 'gnu/', 'mach/', 'mach-o/', 'libkern/', 'machine/', 'arpa/', 'netinet/', 'netinet6/', 'net/', 'ext/', 'tr1/', 'experimental/'];

function isStandardHeader(spec: string): boolean {
  return standardHeaders.has(spec) || systemPrefixes.some((p) => spec.startsWith(p));
}

function commonPrefixLength(a: string, b: string): number {
  // number of shared leading directory segments
  const as = a.split('/');
  const bs = b.split('/');
  let k = 0;
  while (k < as.length && k < bs.length && as[k] === bs[k]) k++;
  return k;
}

/** Picks the candidate closest to `dir` (then, if `shallowest`, the one with the fewest segments); unique or nothing. */
function closest(candidates: readonly string[], dir: string, shallowest = false): string | undefined {
  if (candidates.length === 1) return candidates[0];
  let best = -1;
  let winners: string[] = [];
  for (const c of candidates) {
    const k = commonPrefixLength(dirOf(c), dir);
    if (k > best) { best = k; winners = [c]; } else if (k === best) winners.push(c);
  }
  if (winners.length > 1 && shallowest) {
    const depth = (p: string): number => p.split('/').length;
    const min = Math.min(...winners.map(depth));
    winners = winners.filter((w) => depth(w) === min);
  }
  return winners.length === 1 ? winners[0] : undefined;
}

function createCResolver(repo: RepoIndex): ImportResolver {
  // basename → paths; include dirs = directories named `include`
  const byBase = new Map<string, string[]>();
  const includeDirs = new Set<string>();
  for (const p of repo.paths) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    let list = byBase.get(base);
    if (!list) { list = []; byBase.set(base, list); }
    list.push(p);
    const segs = p.split('/');
    for (let k = 0; k < segs.length - 1; k++) {
      if (segs[k] === 'include') includeDirs.add(segs.slice(0, k + 1).join('/'));
    }
  }
  const includeDirList = [...includeDirs].sort();
  const cache = new Map<string, string | undefined>();

  // hits per spec, independent of the including file; the closest one is picked per file
  const includeHits = new Map<string, string[]>();
  function viaIncludeDirs(spec: string, fromDir: string): string | undefined {
    let hits = includeHits.get(spec);
    if (!hits) {
      hits = [];
      for (const d of includeDirList) {
        const p = joinPath(d, spec);
        if (p !== undefined && repo.has(p)) hits.push(p);
      }
      includeHits.set(spec, hits);
    }
    // `include/x.h` and `tools/include/x.h`: the nearest include dir, else the top-most one
    return hits.length ? closest(hits, fromDir, true) : undefined;
  }

  const suffixHits = new Map<string, string[]>();
  function viaSuffix(spec: string, fromDir: string, angled: boolean): string | undefined {
    let hits = suffixHits.get(spec);
    if (!hits) {
      const clean = spec.replace(/^(?:\.\/)+/, '');
      const base = clean.slice(clean.lastIndexOf('/') + 1);
      hits = clean.split('/').includes('..') ? [] : (byBase.get(base) ?? []).filter((p) => p === clean || p.endsWith('/' + clean));
      suffixHits.set(spec, hits);
    }
    // `<x.h>` never searches the includer's directory: with a same-named sibling, the author means another one
    if (angled && hits.length > 1) {
      const own = joinPath(fromDir, dirOf(spec.replace(/^(?:\.\/)+/, '')));
      hits = hits.filter((p) => dirOf(p) !== own);
    }
    return hits.length ? closest(hits, fromDir) : undefined;
  }

  function resolveOne(rec: ImportRecord, fromDir: string): string | undefined {
    if (rec.kind !== 'include-local' && rec.kind !== 'include-system') return undefined;
    const key = rec.kind + '\0' + fromDir + '\0' + rec.spec;
    if (cache.has(key)) return cache.get(key);
    let hit: string | undefined;
    if (rec.spec.startsWith('/')) hit = undefined;
    else {
      if (rec.kind === 'include-local') {
        const p = joinPath(fromDir, rec.spec);
        if (p !== undefined && repo.has(p)) hit = p;
      }
      hit ??= viaIncludeDirs(rec.spec, fromDir);
      if (hit === undefined && !(rec.kind === 'include-system' && isStandardHeader(rec.spec))) hit = viaSuffix(rec.spec, fromDir, rec.kind === 'include-system');
    }
    cache.set(key, hit);
    return hit;
  }

  return (path: string, facts: FileFacts): string[] => {
    const fromDir = dirOf(path);
    const out = new Set<string>();
    for (const rec of facts.imports) {
      const hit = resolveOne(rec, fromDir);
      if (hit !== undefined && hit !== path) out.add(hit);
    }
    return [...out].sort();
  };
}

export const cImports: LanguageImports = {
  languages: ['c', 'cpp'],
  extract: (text: string) => extractC(text),
  createResolver: createCResolver,
};
