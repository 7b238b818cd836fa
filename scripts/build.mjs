// Builds every bundle into dist/: the CLI, the extension host, the packer's worker and the webview.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';

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
  build({ ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['src/packer/worker.ts'], outfile: 'dist/worker.js' }),
  build({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
  build({
    bundle: true, platform: 'browser', target: 'es2022', format: 'esm', sourcemap: !production, minify: production,
    entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', logLevel: 'warning',
  }),
]);
chmodSync('dist/cli.js', 0o755);
