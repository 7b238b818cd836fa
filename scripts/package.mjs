// Builds the extension in production mode and packs one VSIX per platform target into dist-vsix/.
//
//   node scripts/package.mjs [--targets linux-x64,darwin-arm64,... | all] [--out DIR]
//
// Default target: this machine's. esbuild bundles everything into dist/ except onnxruntime-node (a native
// module), so each VSIX also carries node_modules/onnxruntime-node and its runtime dependency
// onnxruntime-common, with only that target's binaries.
//
// How: everything happens in a staging directory outside the repository (so the repository's dist/, which
// tests and the CLI use, is never rebuilt or removed under them). The build runs there (scripts/build.mjs,
// `--production`, with src/ symlinked in), then per target a trimmed node_modules/ is staged beside dist/,
// and vsce packs the staging directory. vsce 3.9 either takes every production dependency (`npm list
// --production`, i.e. all of ours, bundled already) or, with --no-dependencies, no node_modules at all; so
// the staged package.json names only onnxruntime-node, whose staged package.json in turn names only
// onnxruntime-common (adm-zip and global-agent serve its install script alone, which is not shipped; this
// script checks that the shipped code requires neither).
import { createVSIX } from '@vscode/vsce';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** VS Code target → the folder of onnxruntime-node's binaries for it. */
const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-x64': 'darwin/x64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};
/** Dependencies of onnxruntime-node that only its install script (script/install.js) uses. */
const INSTALL_ONLY = new Set(['adm-zip', 'global-agent']);
/** GPU providers' libraries never go into a VSIX (the local model runs on the CPU provider). */
const GPU_FILE = /cuda|tensorrt|cudnn|cublas|nvinfer/i;

function usage(message) {
  if (message) console.error(`package: ${message}`);
  console.error(`usage: node scripts/package.mjs [--targets ${Object.keys(TARGETS).join(',')} | all] [--out DIR]`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { targets: undefined, out: join(root, 'dist-vsix') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--targets' || arg === '--target') options.targets = value();
    else if (arg.startsWith('--targets=')) options.targets = arg.slice('--targets='.length);
    else if (arg === '--out') options.out = resolve(value());
    else if (arg.startsWith('--out=')) options.out = resolve(arg.slice('--out='.length));
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  const host = `${process.platform}-${process.arch}`;
  const all = options.targets === 'all';
  const list = options.targets === undefined ? [host] : all ? Object.keys(TARGETS) : options.targets.split(',').map((t) => t.trim()).filter(Boolean);
  for (const target of list) if (!(target in TARGETS)) usage(`unknown target ${target}`);
  // A target onnxruntime-node has no binaries for: an error when asked for by name, left out of `all`.
  const targets = [];
  for (const target of new Set(list)) {
    const missing = missingBinaries(target);
    if (!missing) targets.push(target);
    else if (all) console.warn(`package: leaving out ${target}: ${missing}`);
    else usage(missing);
  }
  return { ...options, targets };
}

/** A hard link where possible (same file system, no copy of 45 MB binaries), else a copy. */
function place(source, destination) {
  mkdirSync(dirname(destination), { recursive: true });
  try {
    linkSync(source, destination);
  } catch {
    copyFileSync(source, destination);
  }
}

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path, base) : [relative(base, path).split('\\').join('/')];
  });
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed (${result.signal ?? `exit ${result.status}`})`);
}

/** The folder of package NAME as Node resolves it from FROM (a package folder); `exports` may hide package.json. */
function packageDir(name, from = root) {
  const paths = createRequire(join(from, 'package.json')).resolve.paths(name) ?? [];
  const dir = paths.map((p) => join(p, name)).find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`cannot find the package ${name} (run npm ci)`);
  return dir;
}

/** Why TARGET cannot be packed (onnxruntime-node has no binaries for it), or undefined. */
function missingBinaries(target) {
  const ortDir = packageDir('onnxruntime-node');
  if (existsSync(join(ortDir, 'bin/napi-v6', TARGETS[target], 'onnxruntime_binding.node'))) return undefined;
  const { version } = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8'));
  const have = readdirSync(join(ortDir, 'bin/napi-v6')).flatMap((p) => readdirSync(join(ortDir, 'bin/napi-v6', p)).map((a) => `${p}/${a}`));
  return `onnxruntime-node ${version} ships no binaries for ${TARGETS[target]} (it has ${have.join(', ')}), so a ${target} VSIX would have no local model runtime`;
}

/** Production build into STAGING/dist, with the repository's sources and build script. */
function build(staging) {
  const tsx = import.meta.resolve('tsx');
  symlinkSync(join(root, 'src'), join(staging, 'src'), 'dir');
  try {
    run(process.execPath, ['--import', tsx, join(root, 'scripts', 'build.mjs'), '--production'], staging);
  } finally {
    unlinkSync(join(staging, 'src'));
  }
}

/** Stages node_modules/onnxruntime-node (only TARGET's binaries) and what it requires at run time. */
function stageOnnxRuntime(staging, target) {
  const modules = join(staging, 'node_modules');
  rmSync(modules, { recursive: true, force: true });
  const ortDir = packageDir('onnxruntime-node');
  const ort = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8'));
  const binDir = `bin/napi-v6/${TARGETS[target]}`;
  const runtimeDeps = Object.keys(ort.dependencies ?? {}).filter((name) => !INSTALL_ONLY.has(name));

  const shipped = [];
  for (const file of walk(ortDir)) {
    const keep =
      (file.startsWith('dist/') && file.endsWith('.js')) ||
      (file.startsWith(`${binDir}/`) && !GPU_FILE.test(file)) ||
      /^(LICENSE|ThirdPartyNotices)/i.test(file);
    if (!keep) continue;
    // macOS: the binding links @rpath/libonnxruntime.1.dylib; the npm package also carries a byte-identical
    // libonnxruntime.<version>.dylib (a symlink upstream), which would add 44 MB.
    if (/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(file)) continue;
    place(join(ortDir, file), join(modules, 'onnxruntime-node', file));
    shipped.push(file);
  }
  // The install-only dependencies must really be install-only: no shipped file may require them.
  for (const file of shipped.filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(join(ortDir, file), 'utf8');
    for (const name of INSTALL_ONLY) {
      if (new RegExp(`require\\(\\s*['"\`]${name}['"\`]`).test(code)) throw new Error(`onnxruntime-node/${file} requires ${name}, which this script treats as install-only`);
    }
  }
  const { scripts: _scripts, devDependencies: _dev, ...manifest } = ort;
  manifest.dependencies = Object.fromEntries(runtimeDeps.map((name) => [name, ort.dependencies[name]]));
  writeFileSync(join(modules, 'onnxruntime-node', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  for (const name of runtimeDeps) {
    const dir = packageDir(name, ortDir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (Object.keys(pkg.dependencies ?? {}).length > 0) throw new Error(`${name} has dependencies of its own (${Object.keys(pkg.dependencies).join(', ')}); teach scripts/package.mjs to stage them`);
    for (const file of walk(dir)) {
      const keep = file === 'package.json' || /^dist\/.*(\.c?js|\.mjs|\/package\.json)$/.test(file) || /^(LICENSE|ThirdPartyNotices)/i.test(file);
      if (keep) place(join(dir, file), join(modules, name, file));
    }
  }
}

/** The staged top-level package.json: the repository's, with `dependencies` reduced to what the VSIX carries. */
function stageManifest(staging, manifest) {
  const ortVersion = JSON.parse(readFileSync(join(packageDir('onnxruntime-node'), 'package.json'), 'utf8')).version;
  const { scripts: _scripts, ...rest } = manifest;
  const staged = { ...rest, dependencies: { 'onnxruntime-node': ortVersion } };
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
}

/** Entries of a zip's central directory (file names and sizes), without a zip library. */
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const size = buf.readUInt32LE(offset + 24);
    const nameLength = buf.readUInt16LE(offset + 28);
    const extra = buf.readUInt16LE(offset + 30);
    const comment = buf.readUInt16LE(offset + 32);
    entries.push({ name: buf.toString('utf8', offset + 46, offset + 46 + nameLength), size });
    offset += 46 + nameLength + extra + comment;
  }
  return entries;
}

/** Checks the invariants of a target's VSIX and prints its summary. */
function verify(vsix, target) {
  const entries = zipEntries(vsix);
  const names = entries.map((e) => e.name);
  const problems = [];
  const bin = `extension/node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}/onnxruntime_binding.node`;
  if (!names.includes(bin)) problems.push(`missing ${bin}`);
  for (const needed of ['extension/dist/extension.js', 'extension/dist/ranks/cl100k_base.bin', 'extension/dist/ranks/o200k_base.bin']) {
    if (!names.includes(needed)) problems.push(`missing ${needed}`);
  }
  for (const name of names) {
    if (name.includes('/bin/napi-v6/') && !name.includes(`/bin/napi-v6/${TARGETS[target]}/`)) problems.push(`another platform's binary: ${name}`);
    if (GPU_FILE.test(name)) problems.push(`GPU provider file: ${name}`);
    if (/\.map$|\.ts$|^extension\/(src|test|bench|scripts|docs)\//.test(name)) problems.push(`source, map or test file: ${name}`);
  }
  if (problems.length > 0) throw new Error(`${vsix}:\n  ${problems.join('\n  ')}`);

  const groups = new Map();
  for (const { name, size } of entries) {
    const parts = name.split('/');
    const key = parts[1] === 'node_modules' ? parts.slice(0, 3).join('/') : parts.length > 2 ? `${parts[0]}/${parts[1]}/` : name;
    const group = groups.get(key) ?? { files: 0, bytes: 0 };
    group.files++;
    group.bytes += size;
    groups.set(key, group);
  }
  const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
  console.log(`${relative(process.cwd(), vsix) || vsix}: ${mb(statSync(vsix).size)}, ${entries.length} files (${mb(entries.reduce((s, e) => s + e.size, 0))} unpacked)`);
  for (const [key, group] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${key.padEnd(48)} ${String(group.files).padStart(4)} files ${mb(group.bytes).padStart(9)}`);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  mkdirSync(options.out, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'longrepo-package-'));
  const started = Date.now();
  try {
    build(staging);
    console.log(`package: production build in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    stageManifest(staging, manifest);
    for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
      if (existsSync(join(root, file))) copyFileSync(join(root, file), join(staging, file));
    }
    if (existsSync(join(root, 'media'))) cpSync(join(root, 'media'), join(staging, 'media'), { recursive: true });

    if (!manifest.repository) {
      console.warn('package: package.json has no "repository": packing anyway, README links stay relative (add "repository" to silence this)');
    }
    for (const target of options.targets) {
      const t0 = Date.now();
      stageOnnxRuntime(staging, target);
      const packagePath = join(options.out, `${manifest.name}-${target}-${manifest.version}.vsix`);
      await createVSIX({
        cwd: staging,
        packagePath,
        target,
        useYarn: false,
        dependencies: true,
        // Without a repository URL vsce would ask on stdin (repository) or refuse (relative README links).
        allowMissingRepository: !manifest.repository,
        rewriteRelativeLinks: Boolean(manifest.repository),
      });
      verify(packagePath, target);
      console.log(`package: ${target} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`package: ${error.message}`);
  process.exit(1);
});
