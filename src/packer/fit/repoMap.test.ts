import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { mapEntries, mapLines, maxDepth } from './repoMap.js';

/** The list written the plain way: every path split, every directory counted in a map. */
function plainLines(paths: readonly string[], depth: number): string[] {
  const listed: string[] = [];
  const counts = new Map<string, number>();
  for (const path of paths) {
    const parts = path.split('/');
    if (parts.length - 1 <= depth) listed.push(path);
    else {
      const dir = parts.slice(0, depth).join('/');
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  for (const [dir, n] of counts) listed.push(`${dir === '' ? '.' : dir}/ (${n} ${n === 1 ? 'file' : 'files'})`);
  return listed.sort();
}

test('the list of files not shown lists shallow paths and counts deeper ones under their directory', () => {
  const paths = ['README.md', 'lib/a.js', 'lib/b/c.js', 'lib/b/d.js', 'lib/b.js', 'test/x/y/z.js'];
  assert.deepEqual(mapLines(paths, 0), ['./ (5 files)', 'README.md']);
  assert.deepEqual(mapLines(paths, 1), ['README.md', 'lib/ (2 files)', 'lib/a.js', 'lib/b.js', 'test/ (1 file)'].sort());
  assert.deepEqual(mapLines(paths, 2), ['README.md', 'lib/a.js', 'lib/b.js', 'lib/b/c.js', 'lib/b/d.js', 'test/x/ (1 file)'].sort());
  assert.deepEqual(mapLines(paths, Infinity), [...paths].sort());
  assert.equal(maxDepth(paths), 3);
});

test('the list is the same as splitting every path, for sorted and unsorted paths at every depth', () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'a.b', 'é', 'x-y');
  const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
  fc.assert(fc.property(fc.uniqueArray(path, { maxLength: 30 }), fc.boolean(), fc.nat(6), (paths, sorted, depth) => {
    const input = sorted ? [...paths].sort() : paths;
    assert.deepEqual(mapLines(input, depth), plainLines(input, depth));
    assert.deepEqual([...mapEntries(input, depth)].sort(), plainLines(input, depth));
  }), { numRuns: 500 });
});
