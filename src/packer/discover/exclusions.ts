/** Files and folders left out by default, each with the reason written to the manifest's `skipped`. */

const LOCK_FILES = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock', 'deno.lock',
  'cargo.lock', 'poetry.lock', 'pipfile.lock', 'uv.lock', 'pdm.lock', 'gemfile.lock', 'composer.lock', 'go.sum',
  'mix.lock', 'pubspec.lock', 'podfile.lock', 'packages.lock.json', 'flake.lock', 'gradle.lockfile',
]);

const BUILD_DIRS = new Set([
  'node_modules', 'dist', 'build', 'out', 'target', 'coverage', '.next', '.nuxt', '.svelte-kit', '.output',
  '__pycache__', '.pytest_cache', '.mypy_cache', '.tox', '.venv', 'venv', '.gradle', 'bower_components',
  '.turbo', '.parcel-cache', '.cache', '.yarn', '.git', '.hg', '.svn',
]);

const VENDOR_DIRS = new Set(['vendor', 'vendored', 'third_party', 'third-party', 'thirdparty', '3rdparty']);

const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A folder of BUILD_DIRS (exact case) or VENDOR_DIRS (any case) anywhere above the file. */
const BUILD_DIR = new RegExp(`(?:^|/)(${[...BUILD_DIRS].map(escape).join('|')})/`);
const VENDOR_DIR = new RegExp(`(?:^|/)(?:${[...VENDOR_DIRS].map(escape).join('|')})/`, 'i');

const BINARY_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'webp', 'avif', 'tif', 'tiff', 'psd', 'heic',
  'mp3', 'mp4', 'wav', 'ogg', 'flac', 'm4a', 'webm', 'mov', 'avi', 'mkv',
  'pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'jar', 'war', 'ear', 'whl', 'egg',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'exe', 'dll', 'so', 'dylib', 'a', 'o', 'obj', 'lib', 'bin', 'dat',
  'class', 'pyc', 'pyo', 'wasm', 'node', 'onnx', 'pt', 'pth', 'safetensors', 'ckpt', 'npy', 'npz', 'pkl',
  'sqlite', 'sqlite3', 'db', 'iso', 'img', 'dmg', 'deb', 'rpm', 'apk', 'ipa', 'swf', 'blend', 'fbx', 'glb',
  'xlsx', 'xls', 'docx', 'doc', 'pptx', 'ppt', 'odt', 'ods', 'keystore', 'p12', 'der',
]);

/** Why `path` is left out before reading it, or undefined when it is a candidate. */
export function defaultExclusion(path: string): string | undefined {
  // The outermost excluded folder decides; most paths have none, and two regexes tell without splitting the path.
  const build = BUILD_DIR.exec(path);
  const vendor = VENDOR_DIR.exec(path);
  if (build && (!vendor || build.index <= vendor.index)) {
    return build[1] === 'node_modules' || build[1] === 'bower_components' ? 'dependencies' : 'build output';
  }
  if (vendor) return 'vendored';
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (LOCK_FILES.has(base)) return 'lock file';
  if (/\.min\.(js|mjs|cjs|css)$/.test(base) || /[.-]bundle\.min\./.test(base)) return 'minified';
  if (/\.(map)$/.test(base)) return 'build output';
  const dot = base.lastIndexOf('.');
  if (dot > 0 && BINARY_EXTENSIONS.has(base.slice(dot + 1))) return 'binary';
  return undefined;
}

/** Directory names that a walk outside git never enters (the same list the exclusions report). */
export function isExcludedDirectoryName(name: string): boolean {
  return BUILD_DIRS.has(name) || VENDOR_DIRS.has(name.toLowerCase());
}

/** Minified or generated text: very long lines on average, or one huge line. */
export function looksMinified(path: string, text: string, lines: number): boolean {
  if (!/\.(js|mjs|cjs|css)$/.test(path)) return false;
  return text.length > 2000 && text.length / lines > 400;
}
