/** What a path alone says about a file's role: entry point (README, manifest, main module) or test/fixture/example. */

const MANIFESTS = new Set(['package.json', 'pyproject.toml', 'setup.py', 'setup.cfg', 'go.mod', 'cargo.toml', 'pom.xml', 'build.gradle', 'build.gradle.kts']);
/** Folders whose files are tests, test data or examples (any case). */
const TEST_DIR = /(?:^|\/)(?:tests?|__tests__|testing|specs?|fixtures|__fixtures__|__snapshots__|testdata|examples?)\//i;
/** `*.test.*`, `*.spec.*`, `*_test.go`, `test_*.py`, `*_test.py`, `*Test.java`, `*.snap`. */
const TEST_FILE = /(?:\.(?:test|spec)\.[^/]+$|_test\.(?:go|py|rs|c|cc|cpp)$|(?:^|\/)test_[^/]*\.py$|Tests?\.(?:java|kt)$|\.snap$)/;
const MAIN_MODULE = /^(?:index|main|__main__|mod|lib|app|cli)\.[a-z]+$/i;

/** Generated code by path: `generated/` folders, `*.generated.*`, protobuf and similar outputs. */
const GENERATED_PATH = /(?:^|\/)(?:__generated__|generated)\/|[._-]generated\.[^/]+$|_pb2(?:_grpc)?\.py$|\.pb(?:\.gw)?\.go$|\.g\.dart$/;
/** Generated code by its first lines: the markers generators write, in a comment (not prose that mentions generation). */
const GENERATED_HEADER = /@generated\b|\bDO NOT EDIT\b|^[ \t]*(?:\/\/+|#+|\/?\*+|<!--|--|;+)[ \t]*(?:this (?:file|code) (?:is|was|has been) )?(?:auto-?(?:matically )?)?generated\b/im;
/** How far into a file the header markers are looked for. */
const HEADER_CHARS = 500;

/** Prose by extension: documentation, whatever folder it sits in. */
const PROSE_FILE = /\.(?:md|markdown|mdx|rst|txt|adoc|asciidoc|rdoc|textile)$/i;
/** Documentation folders: their files are prose unless they are code (examples, doc tooling). */
const DOC_DIR = /(?:^|\/)(?:docs?|documentation|man)\//i;
const CODE_FILE = /\.(?:py|[cm]?[jt]sx?|go|rs|java|kt|rb|php|c|h|cc|cpp|hpp|cs|swift|scala)$/i;

export function isGenerated(path: string, text?: string): boolean {
  return GENERATED_PATH.test(path) || (text !== undefined && GENERATED_HEADER.test(text.slice(0, HEADER_CHARS)));
}

export function isProse(path: string): boolean {
  return PROSE_FILE.test(path) || (DOC_DIR.test(path) && !CODE_FILE.test(path));
}

export type EntryKind = 'root' | 'package';

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function isTestPath(path: string): boolean {
  return TEST_DIR.test(path) || TEST_FILE.test(path);
}

/**
 * Entry points: `root` for the repository's own README, manifests and main modules (and a Python package's
 * `__init__.py` at the top of the tree); `package` for the same at a package root deeper down (a folder holding
 * a manifest, e.g. each package of a monorepo), `cmd/NAME/main.go` and a crate's `src/lib.rs`/`src/main.rs`.
 */
export function entryPoints(paths: readonly string[]): Map<number, EntryKind> {
  const packageRoots = new Set<string>();
  for (const path of paths) if (MANIFESTS.has(baseName(path).toLowerCase())) packageRoots.add(dirName(path));
  const hasInit = new Set(paths.filter((p) => baseName(p) === '__init__.py').map(dirName));
  const out = new Map<number, EntryKind>();
  paths.forEach((path, i) => {
    if (isTestPath(path)) return;
    const name = baseName(path);
    const lower = name.toLowerCase();
    const dir = dirName(path);
    const parent = dirName(dir);
    const level = (at: string): EntryKind | undefined => (at === '' ? 'root' : packageRoots.has(at) ? 'package' : undefined);
    let kind: EntryKind | undefined;
    if (lower.startsWith('readme') || MANIFESTS.has(lower)) kind = level(dir);
    else if (name === '__init__.py') {
      // the top package: its parent folder is not itself a package (`django/__init__.py`, `src/pkg/__init__.py`)
      if (!hasInit.has(parent) && (parent === '' || baseName(parent) === 'src' || packageRoots.has(parent))) kind = parent === '' || parent === 'src' ? 'root' : 'package';
    } else if (MAIN_MODULE.test(name)) {
      if (/^cmd\/[^/]+$/.test(dir) || /\/cmd\/[^/]+$/.test(dir)) kind = lower === 'main.go' ? 'package' : undefined;
      else kind = level(dir) ?? (baseName(dir) === 'src' ? level(parent) : undefined);
      if (lower.startsWith('mod.') || lower.startsWith('app.') || lower.startsWith('cli.')) kind = kind && 'package';
    }
    if (kind) out.set(i, kind);
  });
  return out;
}
