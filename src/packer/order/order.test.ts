import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGraph, type DependencyGraph } from '../graph/graph.js';
import { dependencyOrder, parseOrder, seededShuffle } from './order.js';

function graphOf(edges: Record<string, string[]>): DependencyGraph {
  const paths = [...new Set([...Object.keys(edges), ...Object.values(edges).flat()])].sort();
  return buildGraph(paths, (p) => edges[p] ?? []);
}

function placed(graph: DependencyGraph): string[] {
  return dependencyOrder(graph).order.map((i) => graph.paths[i]!);
}

test('dependencies come before the files that import them', () => {
  const g = graphOf({ 'app/main.ts': ['lib/b.ts', 'lib/a.ts'], 'lib/b.ts': ['lib/c.ts'], 'lib/a.ts': ['lib/c.ts'] });
  const order = placed(g);
  assert.deepEqual(order, ['lib/c.ts', 'lib/a.ts', 'lib/b.ts', 'app/main.ts']);
});

test('a cycle is kept together and every edge outside it points backwards', () => {
  const g = graphOf({ 'x.ts': ['y.ts'], 'y.ts': ['z.ts', 'base.ts'], 'z.ts': ['x.ts'], 'top.ts': ['x.ts'] });
  const { order, cycles, cycleOf } = dependencyOrder(g);
  assert.equal(cycles.length, 1);
  assert.deepEqual(cycles[0]!.map((i) => g.paths[i]), ['x.ts', 'y.ts', 'z.ts']);
  const pos = new Map(order.map((f, k) => [f, k]));
  g.imports.forEach((targets, from) => {
    for (const to of targets) {
      if (cycleOf[from] !== -1 && cycleOf[from] === cycleOf[to]) continue;
      assert.ok(pos.get(to)! < pos.get(from)!, `${g.paths[to]} before ${g.paths[from]}`);
    }
  });
  // Inside the cycle, a file whose in-cycle imports are placed goes first: z (imports x) after x, y last.
  assert.deepEqual(order.map((i) => g.paths[i]), ['base.ts', 'x.ts', 'z.ts', 'y.ts', 'top.ts']);
});

test('a dependency lands next to its first dependent, keeping an area together', () => {
  const g = graphOf({ 'a/one.ts': ['z/util.ts'], 'a/two.ts': [], 'b/three.ts': [] });
  assert.deepEqual(placed(g), ['z/util.ts', 'a/one.ts', 'a/two.ts', 'b/three.ts']);
});

test('a 100,000-file chain orders without overflowing the stack', () => {
  const n = 100_000;
  const paths = Array.from({ length: n }, (_, i) => `f${String(i).padStart(6, '0')}.ts`);
  const g = buildGraph(paths, (p) => {
    const i = Number(p.slice(1, 7));
    return i + 1 < n ? [paths[i + 1]!] : [];
  });
  const order = dependencyOrder(g).order;
  assert.equal(order.length, n);
  assert.equal(g.paths[order[0]!], paths[n - 1]);
  assert.equal(g.paths[order[n - 1]!], paths[0]);
});

test('order names are checked, and random needs a seed', () => {
  assert.deepEqual(parseOrder('random:42'), { name: 'random', seed: '42' });
  assert.deepEqual(parseOrder('churn'), { name: 'churn' });
  assert.throws(() => parseOrder('random'), /needs a seed/);
  assert.throws(() => parseOrder('topological'), /unknown --order "topological": use dependency, reverse, alphabetical, random:SEED or churn/);
});

test('a seeded shuffle is a reproducible permutation', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = seededShuffle(items, 'seed');
  assert.deepEqual(a, seededShuffle(items, 'seed'));
  assert.notDeepEqual(a, seededShuffle(items, 'other'));
  assert.deepEqual([...a].sort((x, y) => x - y), items);
});
