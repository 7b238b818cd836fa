/** Files a question names: by path, by file name, by Python module path, or by a symbol written in code style. */
import { STOP_WORDS } from './terms.js';
import { baseName, isTestPath } from './paths.js';

/** A mention matching more files than this is too vague to name any (`index.ts`, a method every visitor has). */
export const NAMED_MAX_FILES = 5;
/** Shortest symbol taken from a question: shorter ones (`id`, `get`) are declared everywhere. */
export const NAMED_MIN_SYMBOL_LENGTH = 4;

/**
 * Words written like code that name no declaration of the repository: language keywords and built-ins (often
 * quoted), dunder methods every class has, and product names in CamelCase (lower-cased here).
 */
const COMMON_SYMBOLS = new Set([
  '__init__', '__main__', '__call__', '__str__', '__repr__', '__eq__', '__hash__', '__new__', '__del__', '__getattr__', '__enter__', '__exit__',
  'self', 'this', 'null', 'true', 'false', 'none', 'todo', 'json', 'html', 'http', 'https', 'arguments', 'prototype', 'undefined',
  'constructor', 'async', 'await', 'yield', 'super', 'return', 'import', 'export', 'default', 'class', 'function', 'const', 'static',
  'private', 'public', 'protected', 'string', 'number', 'object', 'boolean', 'symbol', 'bigint', 'array', 'promise', 'error', 'type',
  'interface', 'module', 'require', 'print', 'list', 'dict', 'tuple', 'float', 'bytes', 'struct', 'impl', 'enum', 'trait', 'main', 'init',
  'typescript', 'javascript', 'coffeescript', 'actionscript', 'github', 'gitlab', 'bitbucket', 'postgresql', 'mysql', 'sqlite',
  'mongodb', 'mariadb', 'redis', 'commonjs', 'webassembly', 'websocket', 'websockets', 'nodejs', 'macos', 'ios', 'ipados', 'pypi',
  'oauth', 'graphql', 'youtube', 'openapi', 'jquery', 'vscode', 'intellij', 'pycharm', 'webpack', 'devtools', 'rabbitmq',
]);

const IDENTIFIER = /[\p{L}_$][\p{L}\p{N}_$]*/gu;
/** Pieces that may be paths or dotted names: no spaces, quotes, brackets or commas. */
const PATH_LIKE = /[^\s`'"()<>[\]{},;]+/gu;

export interface Mentions {
  /** Path-like pieces: `django/db/models/query.py`, `query.py`, `django.db.models.query`. */
  paths: string[];
  /** Identifiers written in code style: `QuerySet`, `get_or_create`, `parseExpression`, `foo()`, `` `bar` ``. */
  symbols: string[];
  /** The symbols that look like code by their shape alone (camelCase, snake_case), not only by quotes or a call. */
  shaped: string[];
}

/** camelCase, PascalCase with an inner capital, snake_case, _private. */
function shapedLikeCode(word: string): boolean {
  return /[\p{Ll}\p{N}]\p{Lu}/u.test(word) || /_/.test(word.replace(/^_+|_+$/g, '')) || /^_\p{L}/u.test(word);
}

function codeStyle(word: string, before: string, after: string, quoted: boolean): boolean {
  if (quoted || after.startsWith('(') || shapedLikeCode(word)) return true;
  // one side of a dotted chain (`Scope.rename`, `models.Model`), unless the other side looks like a file extension
  return (before.endsWith('.') && /\w$/.test(before.slice(0, -1))) || /^\.[\p{L}_$]{5,}/u.test(after);
}

export function findMentions(question: string): Mentions {
  const paths = new Set<string>();
  for (const match of question.matchAll(PATH_LIKE)) {
    const piece = match[0].replace(/^[./]+(?=[\w@])/u, '').replace(/[.:!?]+$/u, '');
    if (piece.includes('/') || /^[\p{L}\p{N}_.$@-]+\.[\p{L}\p{N}]{1,10}$/u.test(piece)) paths.add(piece);
  }
  const quotedSpans: [number, number][] = [];
  // Quoted code examples (`obj.method(...items, extra)`, `const [a, b = 2] = list`), not bare names (`atomic`, `Scope.rename`,
  // `parse()`): their plain lower-case words are placeholders, and naming a file for each one that declares them
  // filled a 32K budget with unrelated files
  const exampleSpans: [number, number][] = [];
  for (const match of question.matchAll(/`([^`]+)`/g)) {
    const span: [number, number] = [match.index, match.index + match[0].length];
    quotedSpans.push(span);
    if (/[^\p{L}\p{N}_$.]/u.test(match[1]!.trim().replace(/\(\)$/, ''))) exampleSpans.push(span);
  }
  // the words of a dotted module path (django.db.models.query) name a module, not symbols
  const moduleSpans: [number, number][] = [];
  for (const match of question.matchAll(/(?<![\w.])[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){2,}(?![\w(])/g)) {
    moduleSpans.push([match.index, match.index + match[0].length]);
  }
  const symbols = new Set<string>();
  for (const match of question.matchAll(IDENTIFIER)) {
    const word = match[0];
    const at = match.index;
    if (word.length < NAMED_MIN_SYMBOL_LENGTH) continue;
    const lower = word.toLowerCase();
    if (STOP_WORDS.has(lower) || COMMON_SYMBOLS.has(lower)) continue;
    if (moduleSpans.some(([from, to]) => at >= from && at + word.length <= to)) continue;
    const inside = ([from, to]: [number, number]): boolean => at > from && at + word.length < to;
    if (exampleSpans.some(inside) && !shapedLikeCode(word) && !/^\p{Lu}/u.test(word)) continue;
    const quoted = quotedSpans.some(inside);
    if (codeStyle(word, question.slice(Math.max(0, at - 2), at), question.slice(at + word.length, at + word.length + 7), quoted)) symbols.add(word);
  }
  return { paths: [...paths], symbols: [...symbols], shaped: [...symbols].filter(shapedLikeCode) };
}

/** Indices of the files each path mention names (by path, path suffix, file name or dotted module). */
export function filesForPath(mention: string, paths: readonly string[], byBaseName: () => ReadonlyMap<string, readonly number[]>): number[] {
  const found = new Set<number>();
  if (mention.includes('/')) {
    paths.forEach((path, i) => {
      if (path === mention || path.endsWith(`/${mention}`)) found.add(i);
    });
  } else {
    for (const i of byBaseName().get(mention) ?? []) found.add(i);
    // a Python module written with dots: django.db.models.query → django/db/models/query.py or …/query/__init__.py
    if (found.size === 0 && /^[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)+$/u.test(mention)) {
      const asPath = mention.replace(/\./g, '/');
      paths.forEach((path, i) => {
        for (const candidate of [`${asPath}.py`, `${asPath}/__init__.py`]) {
          if (path === candidate || path.endsWith(`/${candidate}`)) found.add(i);
        }
      });
    }
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The files named by the question: every file a path mention matches, and the files declaring a code-style
 * symbol (non-test declarers preferred), each mention kept only when it matches at most NAMED_MAX_FILES files.
 * Returns, per named file, why.
 */
export function namedFiles(
  mentions: Mentions, paths: readonly string[], declarers: (symbol: string) => readonly number[],
): Map<number, string> {
  // Made only for a question that mentions a file name (most mention none; babel has 28 K paths).
  let byName: Map<string, number[]> | undefined;
  const byBaseName = (): Map<string, number[]> => {
    if (byName) return byName;
    byName = new Map();
    paths.forEach((path, i) => {
      const name = baseName(path);
      const list = byName!.get(name);
      if (list) list.push(i);
      else byName!.set(name, [i]);
    });
    return byName;
  };
  const named = new Map<number, string>();
  for (const mention of mentions.paths) {
    let files = filesForPath(mention, paths, byBaseName);
    if (files.length > NAMED_MAX_FILES) files = files.filter((i) => !isTestPath(paths[i]!));
    if (files.length === 0 || files.length > NAMED_MAX_FILES) continue;
    for (const i of files) if (!named.has(i)) named.set(i, `named in the question (${mention})`);
  }
  for (const symbol of mentions.symbols) {
    const all = declarers(symbol);
    const main = all.filter((i) => !isTestPath(paths[i]!));
    // test files only for a name that is code by its shape: a quoted plain word declared by fixtures alone is not meant
    const files = main.length > 0 || !mentions.shaped.includes(symbol) ? main : all;
    if (files.length === 0 || files.length > NAMED_MAX_FILES) continue;
    for (const i of files) if (!named.has(i)) named.set(i, `declares ${symbol}, named in the question`);
  }
  return named;
}
