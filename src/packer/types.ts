/** Shared shapes of the packer pipeline: discover → analyse → graph → order → fit → render. */

/** A language id as written in the manifest (`typescript`, `python`, `cpp`, …); `text` when unknown. */
export type LanguageId = string;

/** One import as written in a file, before it is resolved to repository files. */
export interface ImportRecord {
  /** The specifier as written: `./a`, `@scope/pkg/sub`, `a.b.c`, `..mod`, `crate::x::y`, `foo/bar.h`, `github.com/x/y/z`. */
  spec: string;
  /** How it was written, where resolution differs by form (e.g. `include-local` vs `include-system`, `mod` vs `use`). */
  kind: string;
  /** Names imported from `spec` where a name may itself be a module (Python `from a import b`, Rust `use a::{b, c}`). */
  names?: string[];
}

/** What analysis learns from one file's text alone; cached by content hash, so it must not depend on other files. */
export interface FileFacts {
  imports: ImportRecord[];
  /** The file's own package or namespace where the language declares one (Java/Kotlin `package`, Go `package`). */
  packageName?: string;
}

/** The repository as the resolvers see it: every packed file plus config files, read on demand. */
export interface RepoIndex {
  /** Repository-relative paths with `/` separators, sorted, of every file that will be packed. */
  readonly paths: readonly string[];
  has(path: string): boolean;
  /** Text of any discovered file, packed or not (tsconfig.json, package.json, go.mod, Cargo.toml …); undefined if absent or unreadable. */
  readText(path: string): string | undefined;
  languageOf(path: string): LanguageId | undefined;
  factsOf(path: string): FileFacts | undefined;
}

/** Resolves one file's imports to repository files (paths from `RepoIndex.paths`, never the file itself). */
export type ImportResolver = (path: string, facts: FileFacts) => string[];

/** Import support for a family of languages. */
export interface LanguageImports {
  /** Language ids this module handles (see `language.ts`). */
  readonly languages: readonly LanguageId[];
  /** Pure function of the text (and the path's extension): comments and strings never yield imports. */
  extract(text: string, path: string): FileFacts;
  /** Builds a resolver once per pack; it may precompute tables from the whole index. */
  createResolver(repo: RepoIndex): ImportResolver;
}
