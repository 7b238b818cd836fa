// Builds every bundle into dist/: the CLI, the extension host, the packer's and the local model's workers, the webview.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// The list of tree-sitter wasm files lives beside the code that loads them (run through tsx: `npm run build`).
import { WASM_FILES } from '../src/packer/signatures/wasm.ts';
import { RankTable } from '../src/packer/tokens/rankTable.ts';

const production = process.argv.includes('--production');
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

const node = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, minify: production,
  external: ['vscode', 'onnxruntime-node'], logLevel: 'warning',
  // ESM entry points first: some packages' `main` is a UMD wrapper whose inner requires esbuild cannot follow.
  mainFields: ['module', 'main'],
};
await Promise.all([
  // The command is a small launcher that runs the CLI bundle with V8's code cache (src/cli/launch.ts).
  build({ ...node, entryPoints: ['src/cli/launch.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cliMain.js' }),
  build({ ...node, entryPoints: ['src/packer/worker.ts'], outfile: 'dist/worker.js' }),
  build({ ...node, entryPoints: ['src/model/onnx/worker.ts'], outfile: 'dist/onnxWorker.js' }),
  build({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
  build({
    bundle: true, platform: 'browser', target: 'es2022', format: 'esm', sourcemap: !production, minify: production,
    entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', logLevel: 'warning',
  }),
]);
chmodSync('dist/cli.js', 0o755);
// The launcher reads the CLI bundle as Latin-1 (the fastest decoding), which equals UTF-8 only on ASCII. esbuild
// escapes every other character in code; those left are in comments, which get the same escapes.
const cliMain = readFileSync('dist/cliMain.js', 'utf8');
writeFileSync('dist/cliMain.js', cliMain.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`));

// The built-in tokenizers' rank tables stay out of the bundles (megabytes each, read only when used), packed
// so that a thread loads one in milliseconds rather than parsing it as JavaScript (src/packer/tokens/rankTable.ts).
mkdirSync('dist/ranks', { recursive: true });
const require = createRequire(import.meta.url);
for (const name of ['cl100k_base', 'o200k_base']) {
  writeFileSync(`dist/ranks/${name}.bin`, RankTable.fromTokens(require(`gpt-tokenizer/bpeRanks/${name}`).default).pack());
}

// web-tree-sitter and the grammars' WebAssembly, which a bundle cannot inline (see src/packer/signatures/wasm.ts).
mkdirSync('dist/wasm', { recursive: true });
for (const [pkg, file] of WASM_FILES) {
  const source = pkg === 'web-tree-sitter' ? require.resolve('web-tree-sitter/tree-sitter.wasm') : join(dirname(require.resolve(`${pkg}/package.json`)), file);
  copyFileSync(source, `dist/wasm/${file}`);
}
