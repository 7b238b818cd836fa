import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultExclusion } from './exclusions.js';

test('default exclusions name the outermost excluded folder, lock files, minified, maps and binaries', () => {
  const cases: [string, string | undefined][] = [
    ['src/index.ts', undefined], ['node_modules/x/index.js', 'dependencies'], ['a/bower_components/b.js', 'dependencies'],
    ['pkg/dist/a.js', 'build output'], ['Vendor/lib.c', 'vendored'], ['third_party/node_modules/x.js', 'vendored'],
    ['node_modules/vendor/x.js', 'dependencies'], ['distribution/a.js', undefined], ['src/builder.ts', undefined],
    ['yarn.lock', 'lock file'], ['sub/Cargo.lock', 'lock file'], ['web/app.min.js', 'minified'], ['a/b.js.map', 'build output'],
    ['img/logo.PNG', 'binary'], ['.git/config', 'build output'], ['src/.gitignore', undefined], ['Dist/a.js', undefined],
  ];
  for (const [path, reason] of cases) assert.equal(defaultExclusion(path), reason, path);
});

test('the folder check agrees with splitting the path into folders', () => {
  const folder = fc.constantFrom('src', 'dist', 'Vendor', 'vendor', 'node_modules', 'lib', 'third-party', 'out', 'x.y', 'Build');
  fc.assert(fc.property(fc.array(folder, { maxLength: 5 }), fc.constantFrom('a.ts', 'b.py', 'c'), (dirs, file) => {
    const path = [...dirs, file].join('/');
    let expected: string | undefined;
    for (const dir of dirs) {
      if (['dist', 'out', 'node_modules'].includes(dir)) { expected = dir === 'node_modules' ? 'dependencies' : 'build output'; break; }
      if (['vendor', 'third-party'].includes(dir.toLowerCase())) { expected = 'vendored'; break; }
    }
    assert.equal(defaultExclusion(path), expected, path);
  }), { numRuns: 500 });
});
