/**
 * TypeScript / JavaScript imports: a hand-written lexer that finds module specifiers at code level
 * (never in comments, strings, templates, regex literals or JSX text), and a resolver that maps them
 * to repository files the way TypeScript / Node would (relative paths, extension probing, index files,
 * tsconfig `baseUrl`/`paths`, workspace packages with `exports` maps, build output → `src` fallback).
 */
import type { FileFacts, ImportRecord, ImportResolver, LanguageImports, RepoIndex } from '../types.js';
import type { ParseError } from 'jsonc-parser';
import { childPath, dirOf, joinPath } from './repoPath.js';

// ───────────────────────────── extraction ─────────────────────────────

const WS = 1;
const ID_START = 2;
const ID_PART = 4;
/** Flags of the ASCII characters; any non-ASCII character that is not whitespace counts as an identifier character. */
const CHAR = new Uint8Array(128);
for (const c of [9, 10, 11, 12, 13, 32]) CHAR[c] = WS;
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z$_\\]/.test(ch)) CHAR[c] = ID_START | ID_PART;
  else if (/[0-9]/.test(ch)) CHAR[c] = ID_PART;
}

function isWideSpace(c: number): boolean {
  return c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}
function isIdStart(c: number): boolean {
  return c < 128 ? (CHAR[c]! & ID_START) !== 0 : !isWideSpace(c);
}
function isIdPart(c: number): boolean {
  return c < 128 ? (CHAR[c]! & ID_PART) !== 0 : !isWideSpace(c);
}

/** Keywords after which `/` starts a regex literal and `<` may start JSX. */
const EXPRESSION_KEYWORDS = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await', 'extends', 'default',
]);

/** What the previous significant token was, which decides between regex and division (and JSX and `<`). */
const PUNCT = 0; // punctuator or start: an expression may begin
const EXPR = 1; // end of an operand: `/` divides
const IDENT = 2; // an identifier: depends on whether it is a keyword like `return`
const DOT = 3; // `.` or `?.`: the next identifier is a property name

const REFERENCE_RE = /^\/\/\/\s*<reference\s+path\s*=\s*(["'])([^"'\n]*)\1/;

/** Failed JSX attempts after which JSX is no longer tried in a file (bounds the work on odd inputs). */
const MAX_JSX_FAILURES = 32;

class Lexer {
  readonly out: ImportRecord[] = [];
  private litValue = '';
  private litEnd = 0;
  private jsxFailures = 0;

  constructor(private readonly s: string, private jsx: boolean) {}

  /** Scans code from `pos`; with `untilBrace`, stops after the `}` that closes the enclosing `${` or JSX `{`. */
  code(pos: number, untilBrace: boolean): number {
    const s = this.s;
    const n = s.length;
    let depth = 0;
    let prev = PUNCT;
    let identStart = 0;
    let identEnd = 0;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c < 128 ? (CHAR[c]! & WS) !== 0 : isWideSpace(c)) {
        pos++;
        continue;
      }
      if (c < 128 ? (CHAR[c]! & ID_START) !== 0 : true) {
        let e = pos + 1;
        while (e < n && isIdPart(s.charCodeAt(e))) e++;
        if (prev === DOT) {
          prev = EXPR;
        } else {
          const len = e - pos;
          if (len === 6) {
            if (c === 105 && s.startsWith('import', pos)) this.onImport(e);
            else if (c === 101 && s.startsWith('export', pos)) this.onExport(e);
          } else if (len === 7 && c === 114 && s.startsWith('require', pos)) {
            this.onRequire(e);
          }
          prev = IDENT;
          identStart = pos;
          identEnd = e;
        }
        pos = e;
        continue;
      }
      if (c >= 48 && c <= 57) {
        pos = this.number(pos);
        prev = EXPR;
        continue;
      }
      switch (c) {
        case 47: { // '/'
          const d = s.charCodeAt(pos + 1);
          if (d === 47) {
            if (s.charCodeAt(pos + 2) === 47) this.reference(pos);
            const e = s.indexOf('\n', pos);
            pos = e < 0 ? n : e + 1;
            continue;
          }
          if (d === 42) {
            const e = s.indexOf('*/', pos + 2);
            pos = e < 0 ? n : e + 2;
            continue;
          }
          if (prev === PUNCT || (prev === IDENT && EXPRESSION_KEYWORDS.has(s.slice(identStart, identEnd)))) {
            const e = this.regex(pos);
            if (e > 0) {
              pos = e;
              prev = EXPR;
              continue;
            }
          }
          pos++;
          prev = PUNCT;
          continue;
        }
        case 39: case 34: // quotes
          pos = this.str(pos, c);
          prev = EXPR;
          continue;
        case 96: // '`'
          pos = this.template(pos + 1);
          prev = EXPR;
          continue;
        case 123: // '{'
          depth++;
          pos++;
          prev = PUNCT;
          continue;
        case 125: // '}'
          if (depth === 0) {
            if (untilBrace) return pos + 1;
          } else {
            depth--;
          }
          pos++;
          prev = PUNCT;
          continue;
        case 41: case 93: // ')' ']'
          pos++;
          prev = EXPR;
          continue;
        case 46: { // '.'
          const d = s.charCodeAt(pos + 1);
          if (d >= 48 && d <= 57) {
            pos = this.number(pos);
            prev = EXPR;
          } else if (d === 46 && s.charCodeAt(pos + 2) === 46) {
            pos += 3;
            prev = PUNCT;
          } else {
            pos++;
            prev = DOT;
          }
          continue;
        }
        case 63: { // '?': `?.` is property access unless it is `? .5`
          const d = s.charCodeAt(pos + 1);
          const e = s.charCodeAt(pos + 2);
          if (d === 46 && !(e >= 48 && e <= 57)) {
            pos += 2;
            prev = DOT;
          } else {
            pos++;
            prev = PUNCT;
          }
          continue;
        }
        case 60: // '<'
          if (this.jsx && (prev === PUNCT || (prev === IDENT && EXPRESSION_KEYWORDS.has(s.slice(identStart, identEnd))))) {
            const d = s.charCodeAt(pos + 1);
            if (d === 62 || isIdStart(d)) {
              const e = this.jsxElement(pos);
              if (e > 0) {
                pos = e;
                prev = EXPR;
                continue;
              }
            }
          }
          pos++;
          prev = PUNCT;
          continue;
        case 35: // '#': shebang at the start, else a private name
          if (pos === 0 && s.charCodeAt(1) === 33) {
            const e = s.indexOf('\n');
            pos = e < 0 ? n : e + 1;
            continue;
          }
          pos++;
          while (pos < n && isIdPart(s.charCodeAt(pos))) pos++;
          prev = EXPR;
          continue;
        default:
          pos++;
          prev = PUNCT;
      }
    }
    return n;
  }

  private number(pos: number): number {
    const s = this.s;
    const n = s.length;
    pos++;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 46 || (c < 128 && (CHAR[c]! & ID_PART) !== 0 && c !== 92)) pos++;
      else break;
    }
    return pos;
  }

  /** A string literal from its opening quote; an unterminated one ends at the end of the line. */
  private str(pos: number, quote: number): number {
    const s = this.s;
    const n = s.length;
    let i = pos + 1;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d === quote) return i + 1;
      if (d === 92) i += 2;
      else if (d === 10 || d === 13) return i;
      else i++;
    }
    return n;
  }

  /** A template literal from just after its backtick, with `${…}` scanned as code. */
  private template(i: number): number {
    const s = this.s;
    const n = s.length;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d === 96) return i + 1;
      if (d === 92) i += 2;
      else if (d === 36 && s.charCodeAt(i + 1) === 123) i = this.code(i + 2, true);
      else i++;
    }
    return n;
  }

  /** A regex literal from its `/`; -1 when there is none on this line (then `/` was a division). */
  private regex(pos: number): number {
    const s = this.s;
    const n = s.length;
    let i = pos + 1;
    let inClass = false;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d === 92) {
        i += 2;
        continue;
      }
      if (d === 10 || d === 13) return -1;
      if (inClass) {
        if (d === 93) inClass = false;
      } else if (d === 91) {
        inClass = true;
      } else if (d === 47) {
        i++;
        while (i < n && isIdPart(s.charCodeAt(i))) i++;
        return i;
      }
      i++;
    }
    return -1;
  }

  private reference(pos: number): void {
    const e = this.s.indexOf('\n', pos);
    const m = REFERENCE_RE.exec(this.s.slice(pos, e < 0 ? undefined : e));
    if (m && m[2]) this.out.push({ spec: m[2], kind: 'reference' });
  }

  /** Skips whitespace and comments. */
  private skip(pos: number): number {
    const s = this.s;
    const n = s.length;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c < 128 ? (CHAR[c]! & WS) !== 0 : isWideSpace(c)) {
        pos++;
      } else if (c === 47 && s.charCodeAt(pos + 1) === 47) {
        const e = s.indexOf('\n', pos);
        pos = e < 0 ? n : e + 1;
      } else if (c === 47 && s.charCodeAt(pos + 1) === 42) {
        const e = s.indexOf('*/', pos + 2);
        pos = e < 0 ? n : e + 2;
      } else {
        break;
      }
    }
    return pos;
  }

  private identEnd(pos: number): number {
    const s = this.s;
    while (pos < s.length && isIdPart(s.charCodeAt(pos))) pos++;
    return pos;
  }

  private isWord(pos: number, word: string): boolean {
    return this.s.startsWith(word, pos) && !isIdPart(this.s.charCodeAt(pos + word.length));
  }

  /** Reads a string literal (or, with `template`, a template without `${`) into litValue/litEnd. */
  private literal(pos: number, template: boolean): boolean {
    const s = this.s;
    const q = s.charCodeAt(pos);
    if (q !== 39 && q !== 34 && !(template && q === 96)) return false;
    let escaped = false;
    let i = pos + 1;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (d === q) break;
      if (d === 92) {
        escaped = true;
        i++;
      } else if (q === 96) {
        if (d === 36 && s.charCodeAt(i + 1) === 123) return false;
      } else if (d === 10 || d === 13) {
        return false;
      }
    }
    if (i >= s.length) return false;
    const raw = s.slice(pos + 1, i);
    this.litValue = escaped ? unescape(raw) : raw;
    this.litEnd = i + 1;
    return true;
  }

  private push(kind: string): void {
    if (this.litValue) this.out.push({ spec: this.litValue, kind });
  }

  /** After the keyword `import` (not a property): `import(…)`, `import '…'`, `import … from '…'`. */
  private onImport(e: number): void {
    const s = this.s;
    let p = this.skip(e);
    const c = s.charCodeAt(p);
    if (c === 40) { // import('…')
      if (this.literal(this.skip(p + 1), true)) {
        const d = s.charCodeAt(this.skip(this.litEnd));
        if (d === 41 || d === 44) this.push('dynamic');
      }
      return;
    }
    if (c === 39 || c === 34) {
      if (this.literal(p, false)) this.push('import');
      return;
    }
    // import clause: identifiers, `*`, `,`, `{ … }` (which may hold string names), up to `from '…'`
    let braces = 0;
    while (p < s.length) { // every step consumes a token or returns
      const d = s.charCodeAt(p);
      if (isIdStart(d)) {
        const q = this.identEnd(p);
        if (braces === 0 && q - p === 4 && s.startsWith('from', p)) {
          const r = this.skip(q);
          const rc = s.charCodeAt(r);
          if (rc === 39 || rc === 34) {
            if (this.literal(r, false)) this.push('import');
            return;
          }
        }
        p = this.skip(q);
        continue;
      }
      if (d === 123) braces++;
      else if (d === 125) {
        if (--braces < 0) return;
      } else if ((d === 39 || d === 34) && braces > 0) {
        if (!this.literal(p, false)) return;
        p = this.skip(this.litEnd);
        continue;
      } else if (d !== 44 && d !== 42) {
        return; // `=` (import x = require, handled as require) or anything that is not an import clause
      }
      p = this.skip(p + 1);
    }
  }

  /** After the keyword `export`: `export * from`, `export * as x from`, `export { … } from`, `export type …`. */
  private onExport(e: number): void {
    const s = this.s;
    let p = this.skip(e);
    if (this.isWord(p, 'type')) p = this.skip(p + 4);
    const c = s.charCodeAt(p);
    if (c === 42) {
      p = this.skip(p + 1);
      if (this.isWord(p, 'as')) {
        p = this.skip(p + 2);
        const d = s.charCodeAt(p);
        if (isIdStart(d)) p = this.skip(this.identEnd(p));
        else if (this.literal(p, false)) p = this.skip(this.litEnd);
        else return;
      }
    } else if (c === 123) {
      p = this.skip(p + 1);
      for (;;) {
        if (p >= s.length) return;
        const d = s.charCodeAt(p);
        if (d === 125) {
          p = this.skip(p + 1);
          break;
        }
        if (isIdStart(d)) p = this.skip(this.identEnd(p));
        else if (d === 44) p = this.skip(p + 1);
        else if (this.literal(p, false)) p = this.skip(this.litEnd);
        else return;
      }
    } else {
      return;
    }
    if (this.isWord(p, 'from') && this.literal(this.skip(p + 4), false)) this.push('export');
  }

  /** After the identifier `require` (not a property): `require('…')`. */
  private onRequire(e: number): void {
    const s = this.s;
    const p = this.skip(e);
    if (s.charCodeAt(p) !== 40) return;
    if (!this.literal(this.skip(p + 1), true)) return;
    const d = s.charCodeAt(this.skip(this.litEnd));
    if (d === 41 || d === 44) this.push('require');
  }

  /** A JSX element or fragment at `pos` (its `<`); its end, or -1 when it is not JSX (nothing is recorded then). */
  private jsxElement(pos: number): number {
    if (this.jsxFailures >= MAX_JSX_FAILURES) return -1;
    const mark = this.out.length;
    const e = this.jsxInner(pos);
    if (e < 0) {
      this.out.length = mark;
      if (++this.jsxFailures >= MAX_JSX_FAILURES || e === -2) this.jsxFailures = MAX_JSX_FAILURES;
    }
    return e;
  }

  /** -1: not JSX; -2: ran off the end of the file (JSX is then given up for the rest of the file). */
  private jsxInner(pos: number): number {
    const s = this.s;
    const n = s.length;
    let p = pos + 1;
    const nameStart = p;
    while (p < n) {
      const d = s.charCodeAt(p);
      if (isIdPart(d) || d === 46 || d === 58 || d === 45) p++;
      else break;
    }
    const name = s.slice(nameStart, p);
    if (name !== '' && !isIdStart(name.charCodeAt(0))) return -1;
    // attributes
    for (let first = true; ; first = false) {
      p = this.skip(p);
      if (p >= n) return -2;
      const d = s.charCodeAt(p);
      if (d === 62) { // '>'
        p++;
        break;
      }
      if (name === '') return -1;
      if (d === 47) {
        if (s.charCodeAt(p + 1) === 62) return p + 2;
        return -1;
      }
      if (d === 123) {
        p = this.code(p + 1, true);
        continue;
      }
      if (!isIdStart(d)) return -1;
      const a = p;
      while (p < n) {
        const x = s.charCodeAt(p);
        if (isIdPart(x) || x === 45 || x === 58) p++;
        else break;
      }
      if (first && s.slice(a, p) === 'extends') return -1; // `<T extends U>(…) =>` in .tsx
      p = this.skip(p);
      if (s.charCodeAt(p) !== 61) continue;
      p = this.skip(p + 1);
      const v = s.charCodeAt(p);
      if (v === 34 || v === 39) {
        const q = s.indexOf(String.fromCharCode(v), p + 1);
        if (q < 0) return -2;
        p = q + 1;
      } else if (v === 123) {
        p = this.code(p + 1, true);
      } else if (v === 60) {
        p = this.jsxInner(p);
        if (p < 0) return p;
      } else {
        return -1;
      }
    }
    // `<T>(x: T) => T` in a .tsx type: an opening tag whose closing tag appears nowhere is not JSX
    if (s.indexOf('</' + name, p) < 0) return -1;
    // children: text, `{expression}`, elements, up to the closing tag
    while (p < n) {
      const d = s.charCodeAt(p);
      if (d === 123) {
        p = this.code(p + 1, true);
      } else if (d === 60) {
        if (s.charCodeAt(p + 1) === 47) {
          let q = this.skip(p + 2);
          const a = q;
          while (q < n) {
            const x = s.charCodeAt(q);
            if (isIdPart(x) || x === 46 || x === 58 || x === 45) q++;
            else break;
          }
          if (s.slice(a, q) !== name) return -1;
          q = this.skip(q);
          if (s.charCodeAt(q) !== 62) return -1;
          return q + 1;
        }
        p = this.jsxInner(p);
        if (p < 0) return p;
      } else {
        p++;
      }
    }
    return -2;
  }
}

function unescape(raw: string): string {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'u': return String.fromCodePoint(parseInt(e[1] === '{' ? e.slice(2, -1) : e.slice(1), 16));
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '0': return '\0';
      case '\n': case '\r': return '';
      default: return e;
    }
  });
}

function jsxAllowed(path: string): boolean {
  const dot = path.lastIndexOf('.');
  const ext = dot < 0 ? '' : path.slice(dot + 1).toLowerCase();
  // .ts/.mts/.cts use `<T>x` type assertions; plain JavaScript files commonly hold JSX
  return ext === 'tsx' || ext === 'jsx' || ext === 'js' || ext === 'mjs' || ext === 'cjs';
}

/** Imports of a TypeScript/JavaScript file, found at code level only. */
export function extractJavaScriptImports(text: string, path: string): FileFacts {
  const lexer = new Lexer(text, jsxAllowed(path));
  try {
    lexer.code(0, false);
  } catch (e) {
    // nesting deeper than the stack (templates/JSX nested thousands deep): keep what was found so far
    if (!(e instanceof RangeError)) throw e;
  }
  const seen = new Set<string>();
  const imports: ImportRecord[] = [];
  for (const r of lexer.out) {
    const key = r.kind + '\0' + r.spec;
    if (seen.has(key)) continue;
    seen.add(key);
    imports.push(r);
  }
  return { imports };
}

// ───────────────────────────── resolution ─────────────────────────────

/** Extension replacements TypeScript tries for an explicit extension, in its order (`./a.js` → `./a.ts` first). */
const EXPLICIT: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx', '.d.ts', '.js', '.jsx'],
  '.jsx': ['.tsx', '.ts', '.d.ts', '.jsx', '.js'],
  '.mjs': ['.mts', '.d.mts', '.mjs'],
  '.cjs': ['.cts', '.d.cts', '.cjs'],
  '.ts': ['.ts'], '.tsx': ['.tsx'], '.mts': ['.mts'], '.cts': ['.cts'], '.json': ['.json'],
};
/** Extensions tried for an extensionless path: TypeScript's order, then Node's extras. */
const PROBE = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mts', '.cts', '.d.mts', '.d.cts', '.mjs', '.cjs', '.json'];
/** Build-output folders that a package's `main` may point into when the repository holds only `src`. */
const OUTPUT_DIRS = new Set(['lib', 'dist', 'build', 'out', 'es', 'esm', 'cjs', 'mjs', 'module', 'modules', 'types', 'typings', 'dts', 'umd']);
const PACKAGE_FIELDS = ['types', 'typings', 'main', 'module'];
/** `exports` conditions taken first (in the map's own key order); any other condition comes after. */
const CONDITIONS = new Set(['types', 'import', 'require', 'node', 'default', 'module', 'node-addons']);

type Json = Record<string, unknown>;

interface PathPattern {
  prefix: string;
  suffix: string;
  targets: string[];
}
interface CompiledConfig {
  key: string;
  /** Directory (repo-relative, '' = root) that `paths` targets are relative to. */
  pathsBase: string;
  /** Repo-relative baseUrl, when set. */
  baseUrl: string | undefined;
  /** `${configDir}` of the leaf config. */
  configDir: string;
  exact: Map<string, string[]>;
  patterns: PathPattern[];
}
interface RawConfig {
  baseUrl?: string;
  paths?: Json;
  pathsDir?: string;
}

/** JSON with comments and trailing commas (tsconfig.json); undefined when unparsable. */
export function parseJsonc(text: string): unknown {
  // Loaded on first use (its tables took ~2 ms of every start); a repository without a tsconfig.json never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('jsonc-parser') as typeof import('jsonc-parser');
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length > 0 ? undefined : value;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a bare specifier into package name and subpath (`@s/p/a/b` → [`@s/p`, `a/b`]). */
function splitPackage(spec: string): [string, string] {
  let i = spec.indexOf('/');
  if (spec.startsWith('@') && i > 0) i = spec.indexOf('/', i + 1);
  return i < 0 ? [spec, ''] : [spec.slice(0, i), spec.slice(i + 1)];
}

/** Targets of an `exports`/`imports` map for `key` (`.`, `./sub`, `#x`), in the order to try them. */
function mapTargets(map: unknown, key: string): string[] {
  let table: Json;
  if (typeof map === 'string' || Array.isArray(map)) table = { '.': map };
  else if (isObject(map)) {
    const first = Object.keys(map)[0];
    table = first !== undefined && !first.startsWith('.') && !first.startsWith('#') ? { '.': map } : map;
  } else return [];
  const out: string[] = [];
  const exact = table[key];
  if (exact !== undefined && !key.includes('*')) {
    collectTargets(exact, undefined, out);
    return out;
  }
  let best: string | undefined;
  let bestPrefix = -1;
  for (const k of Object.keys(table)) {
    const star = k.indexOf('*');
    if (star >= 0) {
      const prefix = k.slice(0, star);
      const suffix = k.slice(star + 1);
      if (prefix.length > bestPrefix && key.length >= k.length - 1 && key.startsWith(prefix) && key.endsWith(suffix)) {
        best = k;
        bestPrefix = prefix.length;
      }
    } else if (k.endsWith('/') && key.startsWith(k) && k.length > bestPrefix) {
      best = k;
      bestPrefix = k.length;
    }
  }
  if (best === undefined) return out;
  const star = best.indexOf('*');
  if (star >= 0) {
    collectTargets(table[best], key.slice(star, key.length - (best.length - star - 1)), out);
  } else {
    const rest = key.slice(best.length);
    const sub: string[] = [];
    collectTargets(table[best], undefined, sub);
    for (const t of sub) out.push(t + rest);
  }
  return out;
}

function collectTargets(t: unknown, star: string | undefined, out: string[]): void {
  if (typeof t === 'string') {
    out.push(star === undefined ? t : t.split('*').join(star));
  } else if (Array.isArray(t)) {
    for (const x of t) collectTargets(x, star, out);
  } else if (isObject(t)) {
    const keys = Object.keys(t);
    for (const k of keys) if (CONDITIONS.has(k)) collectTargets(t[k], star, out);
    for (const k of keys) if (!CONDITIONS.has(k)) collectTargets(t[k], star, out);
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/^\.\//, '').replace(/\/+$/, '').split('/').map((seg) =>
    seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('/');
  return new RegExp('^' + body + '$');
}

/** Builds the TypeScript/JavaScript resolver for one pack. */
export function createJavaScriptResolver(repo: RepoIndex): ImportResolver {
  const files = new Set(repo.paths);
  const dirs = new Set<string>(['']);
  for (const p of repo.paths) {
    let d = dirOf(p);
    while (d !== '' && !dirs.has(d)) {
      dirs.add(d);
      d = dirOf(d);
    }
  }
  const exists = (p: string): boolean => files.has(p) || repo.has(p);

  const jsonCache = new Map<string, unknown>();
  const readJson = (p: string): unknown => {
    if (jsonCache.has(p)) return jsonCache.get(p);
    const text = exists(p) ? repo.readText(p) : undefined;
    const v = text === undefined ? undefined : parseJsonc(text);
    jsonCache.set(p, v);
    return v;
  };
  const packageJson = (dir: string): Json | undefined => {
    const v = readJson(childPath(dir, 'package.json'));
    return isObject(v) ? v : undefined;
  };

  // Workspace packages: every package.json outside node_modules, by name; members of the root
  // `workspaces` globs first, then the shallowest directory.
  const packages = new Map<string, string>();
  {
    const root = packageJson('');
    const ws = root?.workspaces;
    const globs = Array.isArray(ws) ? ws : isObject(ws) && Array.isArray(ws.packages) ? ws.packages : [];
    const members = globs.filter((g): g is string => typeof g === 'string').map(globToRegExp);
    const found: { name: string; dir: string; rank: number }[] = [];
    for (const d of dirs) {
      if (d === 'node_modules' || d.startsWith('node_modules/') || d.includes('/node_modules/') || d.endsWith('/node_modules')) continue;
      if (!exists(childPath(d, 'package.json'))) continue;
      const name = packageJson(d)?.name;
      if (typeof name !== 'string' || name === '') continue;
      const member = members.some((re) => re.test(d));
      found.push({ name, dir: d, rank: (member ? 0 : 1000) + (d === '' ? 0 : d.split('/').length) });
    }
    found.sort((a, b) => a.rank - b.rank || (a.dir < b.dir ? -1 : 1));
    for (const f of found) if (!packages.has(f.name)) packages.set(f.name, f.dir);
  }

  // ── files and directories ──
  const loadAsFile = (p: string): string | undefined => {
    if (p === '') return undefined;
    const dot = p.lastIndexOf('.');
    if (dot > p.lastIndexOf('/')) {
      const ext = p.slice(dot).toLowerCase();
      const list = EXPLICIT[ext];
      if (list) {
        const stem = p.slice(0, dot);
        for (const e of list) if (files.has(stem + e)) return stem + e;
      }
    }
    for (const e of PROBE) if (files.has(p + e)) return p + e;
    if (dot > p.lastIndexOf('/') && files.has(p)) return p; // `./styles.css`, `./data.txt`, …
    return undefined;
  };
  const loadIndex = (d: string): string | undefined => {
    const base = childPath(d, 'index');
    for (const e of PROBE) if (files.has(base + e)) return base + e;
    return undefined;
  };
  /** `main` etc. of a package pointing at build output that is absent: the same module under `src`. */
  const sourceFallback = (dir: string, target: string, depth: number): string | undefined => {
    const rel = joinPath('', target);
    if (!rel) return undefined;
    const segs = rel.split('/');
    let i = 0;
    while (i < segs.length - 1 && i < 2 && OUTPUT_DIRS.has(segs[i]!)) i++;
    if (segs[i] === 'src') return undefined;
    let rest = segs.slice(i).join('/');
    rest = rest.replace(/(\.d)?\.(m|c)?(j|t)sx?$/, '');
    const p = childPath(dir, 'src/' + rest);
    return loadAsFile(p) ?? loadAsDirectory(p, depth + 1);
  };
  const resolvePackageTarget = (dir: string, target: string, depth: number): string | undefined => {
    if (depth > 4) return undefined;
    const p = joinPath(dir, target);
    if (p === undefined) return undefined;
    if (p !== dir) {
      const f = loadAsFile(p) ?? loadAsDirectory(p, depth + 1);
      if (f) return f;
    }
    return sourceFallback(dir, target, depth);
  };
  function loadAsDirectory(d: string, depth = 0): string | undefined {
    if (!dirs.has(d) || depth > 4) return undefined;
    const pkg = exists(childPath(d, 'package.json')) ? packageJson(d) : undefined;
    if (pkg) {
      for (const field of PACKAGE_FIELDS) {
        const v = pkg[field];
        if (typeof v === 'string' && v !== '') {
          const r = resolvePackageTarget(d, v, depth + 1);
          if (r) return r;
        }
      }
    }
    return loadIndex(d);
  }
  const loadFileOrDir = (p: string | undefined, dirOnly = false): string | undefined =>
    p === undefined ? undefined : (dirOnly ? undefined : loadAsFile(p)) ?? loadAsDirectory(p);

  // ── tsconfig / jsconfig ──
  const rawConfigs = new Map<string, RawConfig>();
  const resolveExtends = (dir: string, ext: string): string | undefined => {
    if (ext.startsWith('.') || ext.startsWith('/')) {
      const p = joinPath(dir, ext);
      if (p === undefined) return undefined;
      if (exists(p) && !dirs.has(p)) return p;
      if (exists(p + '.json')) return p + '.json';
      if (exists(childPath(p, 'tsconfig.json'))) return childPath(p, 'tsconfig.json');
      return undefined;
    }
    const [name, sub] = splitPackage(ext);
    const pkgDir = packages.get(name);
    if (pkgDir === undefined) return undefined;
    if (sub === '') {
      const field = packageJson(pkgDir)?.tsconfig;
      const p = typeof field === 'string' ? joinPath(pkgDir, field) : childPath(pkgDir, 'tsconfig.json');
      return p !== undefined && exists(p) ? p : undefined;
    }
    const p = childPath(pkgDir, sub);
    return exists(p) ? p : exists(p + '.json') ? p + '.json' : undefined;
  };
  const loadRawConfig = (file: string, seen: Set<string>): RawConfig => {
    const cached = rawConfigs.get(file);
    if (cached) return cached;
    const json = readJson(file);
    const dir = dirOf(file);
    let merged: RawConfig = {};
    if (isObject(json)) {
      const ext = json.extends;
      for (const e of typeof ext === 'string' ? [ext] : Array.isArray(ext) ? ext : []) {
        if (typeof e !== 'string') continue;
        const f = resolveExtends(dir, e);
        if (f === undefined || seen.has(f)) continue;
        seen.add(f);
        const parent = loadRawConfig(f, seen);
        merged = { ...merged, ...parent };
      }
      const co = json.compilerOptions;
      if (isObject(co)) {
        if (typeof co.baseUrl === 'string') {
          const b = joinPath(dir, co.baseUrl.replace('${configDir}', '.'));
          if (b !== undefined) merged = { ...merged, baseUrl: b };
        }
        if (isObject(co.paths)) merged = { ...merged, paths: co.paths, pathsDir: dir };
      }
    }
    rawConfigs.set(file, merged);
    return merged;
  };
  const compileConfig = (file: string): CompiledConfig => {
    const raw = loadRawConfig(file, new Set([file]));
    const configDir = dirOf(file);
    const cfg: CompiledConfig = {
      key: file, baseUrl: raw.baseUrl, pathsBase: raw.baseUrl ?? raw.pathsDir ?? configDir, configDir,
      exact: new Map(), patterns: [],
    };
    if (raw.paths) {
      for (const [k, v] of Object.entries(raw.paths)) {
        const targets = (Array.isArray(v) ? v : [v]).filter((t): t is string => typeof t === 'string');
        const star = k.indexOf('*');
        if (star < 0) cfg.exact.set(k, targets);
        else if (k.indexOf('*', star + 1) < 0) cfg.patterns.push({ prefix: k.slice(0, star), suffix: k.slice(star + 1), targets });
      }
    }
    return cfg;
  };
  const configByDir = new Map<string, CompiledConfig | null>();
  const configOf = (dir: string): CompiledConfig | null => {
    const hit = configByDir.get(dir);
    if (hit !== undefined) return hit;
    let cfg: CompiledConfig | null = null;
    const ts = childPath(dir, 'tsconfig.json');
    const js = childPath(dir, 'jsconfig.json');
    if (exists(ts) && isObject(readJson(ts))) cfg = compileConfig(ts);
    else if (exists(js) && isObject(readJson(js))) cfg = compileConfig(js);
    else if (dir !== '') cfg = configOf(dirOf(dir));
    configByDir.set(dir, cfg);
    return cfg;
  };
  const pathTarget = (cfg: CompiledConfig, target: string): string | undefined =>
    target.startsWith('${configDir}') ? joinPath(cfg.configDir, target.slice(12)) : joinPath(cfg.pathsBase, target);
  const resolveWithPaths = (spec: string, cfg: CompiledConfig): string | undefined => {
    let targets = cfg.exact.get(spec);
    let star: string | undefined;
    if (!targets) {
      let best: PathPattern | undefined;
      for (const pat of cfg.patterns) {
        if ((!best || pat.prefix.length > best.prefix.length) && spec.length >= pat.prefix.length + pat.suffix.length
          && spec.startsWith(pat.prefix) && spec.endsWith(pat.suffix)) best = pat;
      }
      if (!best) return undefined;
      targets = best.targets;
      star = spec.slice(best.prefix.length, spec.length - best.suffix.length);
    }
    for (const t of targets) {
      const r = loadFileOrDir(pathTarget(cfg, star === undefined ? t : t.replace('*', star)));
      if (r) return r;
    }
    return undefined;
  };

  // ── packages ──
  const resolvePackage = (spec: string): string | undefined => {
    const [name, sub] = splitPackage(spec);
    const dir = packages.get(name);
    if (dir === undefined) return undefined;
    const pkg = packageJson(dir);
    if (pkg?.exports !== undefined) {
      for (const t of mapTargets(pkg.exports, sub === '' ? '.' : './' + sub)) {
        const r = resolvePackageTarget(dir, t, 0);
        if (r) return r;
      }
    }
    if (sub !== '') {
      const p = childPath(dir, sub);
      return loadFileOrDir(p) ?? sourceFallback(dir, sub, 0);
    }
    return loadAsDirectory(dir) ?? loadIndex(childPath(dir, 'src'));
  };
  const resolveHashImport = (spec: string, fromDir: string): string | undefined => {
    for (let d: string | undefined = fromDir; d !== undefined; d = d === '' ? undefined : dirOf(d)) {
      if (!exists(childPath(d, 'package.json'))) continue;
      const imports = packageJson(d)?.imports;
      if (imports === undefined) return undefined;
      for (const t of mapTargets(imports, spec)) {
        const r = t.startsWith('.') ? resolvePackageTarget(d, t, 0) : resolvePackage(t);
        if (r) return r;
      }
      return undefined;
    }
    return undefined;
  };

  const relCache = new Map<string, string | undefined>();
  const bareCache = new Map<string, string | undefined>();
  const resolveOne = (spec: string, kind: string, fromDir: string, cfg: CompiledConfig | null): string | undefined => {
    if (kind === 'reference') {
      const p = joinPath(fromDir, spec);
      return p === undefined ? undefined : files.has(p) ? p : loadAsFile(p);
    }
    const c0 = spec.charCodeAt(0);
    if (c0 === 46 && (spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../'))) {
      const key = fromDir + '\0' + spec;
      if (relCache.has(key)) return relCache.get(key);
      let s = spec;
      const q = s.indexOf('?');
      if (q >= 0) s = s.slice(0, q);
      const r = loadFileOrDir(joinPath(fromDir, s), s.endsWith('/') || s === '.' || s === '..');
      relCache.set(key, r);
      return r;
    }
    if (c0 === 47 || spec.includes('!') || spec.startsWith('node:') || spec === '') return undefined;
    if (c0 === 35) return resolveHashImport(spec, fromDir);
    const key = (cfg?.key ?? '') + '\0' + spec;
    if (bareCache.has(key)) return bareCache.get(key);
    let r: string | undefined;
    if (cfg) {
      r = resolveWithPaths(spec, cfg);
      if (!r && cfg.baseUrl !== undefined) r = loadFileOrDir(joinPath(cfg.baseUrl, spec));
    }
    r ??= resolvePackage(spec);
    bareCache.set(key, r);
    return r;
  };

  return (path: string, facts: FileFacts): string[] => {
    const fromDir = dirOf(path);
    const cfg = configOf(fromDir);
    const out = new Set<string>();
    for (const rec of facts.imports) {
      const r = resolveOne(rec.spec, rec.kind, fromDir, cfg);
      if (r !== undefined && r !== path) out.add(r);
    }
    return [...out].sort();
  };
}

export const javascriptImports: LanguageImports = {
  languages: ['typescript', 'javascript'],
  extract: extractJavaScriptImports,
  createResolver: createJavaScriptResolver,
};
