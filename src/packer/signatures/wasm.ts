import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * web-tree-sitter's CommonJS build. Its ESM build (what an `import` statement makes esbuild pick)
 * finds its files through `import.meta.url`, which a CommonJS bundle does not have, so it is
 * required by name: esbuild bundles `tree-sitter.cjs`, from source tsx loads the same file.
 */
export function treeSitter(): typeof import('web-tree-sitter') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('web-tree-sitter') as typeof import('web-tree-sitter');
}

/**
 * Where the WebAssembly files come from. From source they are read from node_modules; a bundle
 * (esbuild, dist/) cannot inline them, so the build must copy them flat into `dist/wasm/`,
 * where this function looks first:
 *
 *   web-tree-sitter/tree-sitter.wasm                   → dist/wasm/tree-sitter.wasm
 *   tree-sitter-javascript/tree-sitter-javascript.wasm → dist/wasm/tree-sitter-javascript.wasm
 *   tree-sitter-typescript/tree-sitter-typescript.wasm → dist/wasm/tree-sitter-typescript.wasm
 *   tree-sitter-typescript/tree-sitter-tsx.wasm        → dist/wasm/tree-sitter-tsx.wasm
 *   tree-sitter-python/tree-sitter-python.wasm         → dist/wasm/tree-sitter-python.wasm
 *   tree-sitter-go/tree-sitter-go.wasm                 → dist/wasm/tree-sitter-go.wasm
 *   tree-sitter-rust/tree-sitter-rust.wasm             → dist/wasm/tree-sitter-rust.wasm
 *   tree-sitter-java/tree-sitter-java.wasm             → dist/wasm/tree-sitter-java.wasm
 *   tree-sitter-c/tree-sitter-c.wasm                   → dist/wasm/tree-sitter-c.wasm
 *   tree-sitter-cpp/tree-sitter-cpp.wasm               → dist/wasm/tree-sitter-cpp.wasm
 *
 * (`WASM_FILES` below is that list as data, for the build script.) `web-tree-sitter` exports its
 * wasm as the subpath `web-tree-sitter/tree-sitter.wasm`; the grammar packages have no `exports`,
 * so `<pkg>/package.json` resolves and the file sits beside it.
 */
export function readWasm(pkg: string, file: string): Uint8Array {
  const copied = join(__dirname, 'wasm', file);
  if (existsSync(copied)) return readFileSync(copied);
  try {
    // resolved at run time (createRequire keeps esbuild from trying to bundle a .wasm path)
    const resolve = createRequire(__filename).resolve;
    const path = pkg === 'web-tree-sitter' ? resolve('web-tree-sitter/tree-sitter.wasm') : join(dirname(resolve(`${pkg}/package.json`)), file);
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot load ${file}: it is neither in ${join(__dirname, 'wasm')} nor in the ${pkg} package`, { cause: error });
  }
}

/** Every wasm file `readWasm` is asked for: [package, file name]. */
export const WASM_FILES: readonly (readonly [pkg: string, file: string])[] = [
  ['web-tree-sitter', 'tree-sitter.wasm'],
  ['tree-sitter-javascript', 'tree-sitter-javascript.wasm'],
  ['tree-sitter-typescript', 'tree-sitter-typescript.wasm'],
  ['tree-sitter-typescript', 'tree-sitter-tsx.wasm'],
  ['tree-sitter-python', 'tree-sitter-python.wasm'],
  ['tree-sitter-go', 'tree-sitter-go.wasm'],
  ['tree-sitter-rust', 'tree-sitter-rust.wasm'],
  ['tree-sitter-java', 'tree-sitter-java.wasm'],
  ['tree-sitter-c', 'tree-sitter-c.wasm'],
  ['tree-sitter-cpp', 'tree-sitter-cpp.wasm'],
];
