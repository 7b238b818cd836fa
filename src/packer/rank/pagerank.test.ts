import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildWalk, DAMPING, pageRank, type Walk } from './pagerank.js';

/** Power iteration over every file, dangling mass spread by the teleport: the textbook form, for comparison. */
function plainPageRank(walk: Walk, seed?: ArrayLike<number>): Float64Array {
  const { n, start, target, weight } = walk;
  const p = new Float64Array(n);
  let sum = 0;
  if (seed) for (let i = 0; i < n; i++) sum += Math.max(0, seed[i] ?? 0);
  for (let i = 0; i < n; i++) p[i] = sum > 0 ? Math.max(0, seed![i] ?? 0) / sum : 1 / n;
  let x = Float64Array.from(p);
  for (let iteration = 0; iteration < 2000; iteration++) {
    const next = new Float64Array(n);
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      if (start[i] === start[i + 1]) dangling += x[i]!;
      for (let k = start[i]!; k < start[i + 1]!; k++) next[target[k]!]! += x[i]! * weight[k]!;
    }
    for (let i = 0; i < n; i++) next[i] = (1 - DAMPING) * p[i]! + DAMPING * (next[i]! + dangling * p[i]!);
    x = next;
  }
  return x;
}

test('PageRank equals the textbook iteration over every file, isolated files included', () => {
  const graph = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(
    fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
    fc.option(fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: n, maxLength: n })),
  ));
  fc.assert(fc.property(graph, ([imports, seed]) => {
    // Most files of a real repository import nothing and are imported by nothing: keep many of them isolated.
    const sparse = imports.map((row, i) => (i % 3 === 0 ? row : []));
    const walk = buildWalk(sparse);
    const ours = pageRank(walk, seed ?? undefined);
    const plain = plainPageRank(walk, seed ?? undefined);
    let total = 0;
    ours.forEach((value, i) => {
      total += value;
      assert.ok(Math.abs(value - plain[i]!) < 1e-9, `file ${i}: ${value} vs ${plain[i]}`);
    });
    assert.ok(Math.abs(total - 1) < 1e-9, `sums to ${total}`);
  }), { numRuns: 300 });
});

test('the walk holds each file\'s distinct imports, then its importers, with rows summing to 1', () => {
  // 0 imports 1 and 2 (2 twice, itself once, and an index out of range); 1 imports 2; 3 is isolated.
  const walk = buildWalk([[2, 1, 2, 0, 9], [2], [], []]);
  const row = (i: number) => [...walk.target.subarray(walk.start[i], walk.start[i + 1])];
  assert.deepEqual([row(0), row(1), row(2), row(3)], [[1, 2], [2, 0], [0, 1], []]);
  assert.deepEqual([...walk.importedBy], [0, 1, 2, 0]);
  assert.deepEqual([...walk.outDegree], [2, 1, 0, 0]);
  for (let i = 0; i < 3; i++) {
    const sum = walk.weight.subarray(walk.start[i], walk.start[i + 1]).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12);
  }
  // file 1: imports 2 (weight 1) and is imported by 0 (weight 0.3), normalised
  assert.deepEqual([...walk.weight.subarray(walk.start[1], walk.start[2])].map((w) => Math.round(w * 1000) / 1000), [0.769, 0.231]);
});
