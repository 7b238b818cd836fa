// Runs every *.test.ts under src/ and test/ (or the files/folders given) with node's test runner.
// Node 20's runner takes no glob patterns, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'test'];
const files = roots.flatMap((root) =>
  statSync(root).isDirectory()
    ? readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).map((f) => join(root, f))
    : [root],
).sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
