import { build } from 'esbuild';
const r = await build({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode','onnxruntime-node'], entryPoints: ['src/cli/main.ts'], outfile: '/tmp/metaout.js', metafile: true, write: false, logLevel: 'warning' });
const inputs = r.metafile.inputs;
const targets = process.argv.slice(2);
// BFS from entry over static imports only
const entry = 'src/cli/main.ts'; const prev = new Map([[entry, null]]); const q = [entry];
while (q.length) { const f = q.shift(); for (const im of inputs[f]?.imports ?? []) { if (im.kind !== 'import-statement' && im.kind !== 'require-call') continue; if (im.external) continue; if (!prev.has(im.path)) { prev.set(im.path, f); q.push(im.path); } } }
for (const t of targets) { const hit = [...prev.keys()].find((k) => k.includes(t)); if (!hit) { console.log(t, ': not statically reachable'); continue; } const chain = []; for (let c = hit; c; c = prev.get(c)) chain.push(c); console.log(chain.reverse().join('\n  -> ')); console.log(); }
