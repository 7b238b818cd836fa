import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pack } from '../src/packer/pack.js';
import { loadTokenCounter } from '../src/packer/tokens/tokenizer.js';
import { tempDir } from './helpers/repo.js';

const { dir, cleanup } = tempDir();
after(cleanup);

test('a 100,000-file tree packs without a crash, every file accounted for', async () => {
  const files = 100_000;
  for (let d = 0; d < 100; d++) {
    const folder = join(dir, `pkg${d}`);
    mkdirSync(folder);
    for (let f = 0; f < files / 100; f++) {
      const next = f + 1 < files / 100 ? `require('./m${f + 1}');\n` : '';
      writeFileSync(join(folder, `m${f}.js`), `${next}module.exports = ${d * 1000 + f};\n`);
    }
  }
  writeFileSync(join(dir, 'pkg0', 'empty.js'), '');
  const { manifest, prompt } = await pack(dir, { cacheDir: null });
  assert.equal(manifest.files.length, files);
  assert.deepEqual(manifest.skipped, [{ path: 'pkg0/empty.js', reason: 'empty' }]);
  assert.equal(manifest.stats.edges, files - 100);
  assert.equal(manifest.files[0]!.path, 'pkg0/m999.js', 'the end of the first chain comes first');
  assert.equal(manifest.totalTokens, loadTokenCounter('cl100k').count(prompt));
});
