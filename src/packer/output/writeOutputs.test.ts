import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { useTempDirs } from '../../../test/helpers/repo.js';
import { writeOutputs } from './writeOutputs.js';

const fresh = useTempDirs();

test('an output copied from a file gets its bytes; a failed or wrong-sized copy is written from the pieces instead', async () => {
  const dir = fresh();
  const source = join(dir, 'source.txt');
  const text = 'é'.repeat(100_000) + '\n';
  writeFileSync(source, text);
  const size = Buffer.byteLength(text);
  let asked = 0;
  const pieces = (): string[] => {
    asked++;
    return ['from ', 'pieces\n'];
  };
  await writeOutputs([
    { path: join(dir, 'copied.txt'), data: { copy: { path: source, size }, pieces } },
    { path: join(dir, 'wrong-size.txt'), data: { copy: { path: source, size: size + 1 }, pieces } },
    { path: join(dir, 'missing.txt'), data: { copy: { path: join(dir, 'no-such-file'), size }, pieces } },
    { path: join(dir, 'text.txt'), data: 'plain\n' },
  ]);
  assert.equal(readFileSync(join(dir, 'copied.txt'), 'utf8'), text);
  assert.equal(readFileSync(join(dir, 'wrong-size.txt'), 'utf8'), 'from pieces\n');
  assert.equal(readFileSync(join(dir, 'missing.txt'), 'utf8'), 'from pieces\n');
  assert.equal(readFileSync(join(dir, 'text.txt'), 'utf8'), 'plain\n');
  assert.equal(asked, 2, 'pieces only where the copy failed');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');

  // A special file is written in place from the pieces: a copy would replace it.
  await writeOutputs([{ path: '/dev/null', data: { copy: { path: source, size }, pieces } }]);
  assert.equal(asked, 3);
});
