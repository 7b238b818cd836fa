/**
 * (Personalised) PageRank over the dependency graph, walked both ways: a file passes rank to the files it
 * imports and, with a smaller weight, to the files that import it.
 */

/** Chance of following an edge rather than jumping back to the seed files: the customary value. */
export const DAMPING = 0.85;
/** Weight of "A imports B" as a walk A → B: what a file needs to be understood. */
export const IMPORTS_WEIGHT = 1;
/** Weight of the walk B → A when A imports B: a dependent helps less than a dependency to explain a file. */
export const IMPORTED_BY_WEIGHT = 0.3;
/** Convergence: stop when the total change of one iteration (L1) falls below this. */
const TOLERANCE = 1e-10;
/** Safety net for the iteration; with damping 0.85 convergence takes well under 200 steps. */
const MAX_ITERATIONS = 500;

/** The two-way walk as compressed rows: neighbours of i are `target[start[i]..start[i+1])` with `weight`. */
export interface Walk {
  readonly n: number;
  readonly start: Int32Array;
  readonly target: Int32Array;
  /** Edge weights already divided by the row's total, so each row sums to 1. */
  readonly weight: Float64Array;
  /** Number of files importing each file. */
  readonly importedBy: Int32Array;
  /** Number of files each file imports: row i holds its imports first, then its importers. */
  readonly outDegree: Int32Array;
}

export function buildWalk(imports: readonly (readonly number[])[]): Walk {
  const n = imports.length;
  const importedBy = new Int32Array(n);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    for (const j of imports[i]!) {
      if (j === i || j < 0 || j >= n) continue;
      importedBy[j]!++;
      edges++;
    }
  }
  const reverse: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) for (const j of imports[i]!) if (j !== i && j >= 0 && j < n) reverse[j]!.push(i);
  const start = new Int32Array(n + 1);
  const outDegree = new Int32Array(n);
  const target = new Int32Array(edges * 2);
  const weight = new Float64Array(edges * 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    start[i] = k;
    const out = [...new Set(imports[i]!)].filter((j) => j !== i && j >= 0 && j < n).sort((a, b) => a - b);
    outDegree[i] = out.length;
    const back = reverse[i]!; // ascending: built by increasing i
    const total = out.length * IMPORTS_WEIGHT + back.length * IMPORTED_BY_WEIGHT;
    for (const j of out) { target[k] = j; weight[k++] = IMPORTS_WEIGHT / total; }
    for (const j of back) { target[k] = j; weight[k++] = IMPORTED_BY_WEIGHT / total; }
  }
  start[n] = k;
  return { n, start, target: target.subarray(0, k), weight: weight.subarray(0, k), importedBy, outDegree };
}

/**
 * PageRank with teleport distribution `seed` (non-negative, any scale; uniform when all zero). Files without
 * edges send their rank back through the teleport. Power iteration in a fixed order: deterministic.
 */
export function pageRank(walk: Walk, seed?: ArrayLike<number>): Float64Array {
  const { n, start, target, weight } = walk;
  const p = new Float64Array(n);
  let sum = 0;
  if (seed) for (let i = 0; i < n; i++) sum += Math.max(0, seed[i] ?? 0);
  for (let i = 0; i < n; i++) p[i] = sum > 0 ? Math.max(0, seed![i] ?? 0) / sum : 1 / n;
  let x = Float64Array.from(p);
  let next = new Float64Array(n);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    next.fill(0);
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      const from = start[i]!;
      const to = start[i + 1]!;
      if (from === to) { dangling += x[i]!; continue; }
      const mass = x[i]!;
      for (let k = from; k < to; k++) next[target[k]!]! += mass * weight[k]!;
    }
    let change = 0;
    for (let i = 0; i < n; i++) {
      const value = (1 - DAMPING) * p[i]! + DAMPING * (next[i]! + dangling * p[i]!);
      change += Math.abs(value - x[i]!);
      next[i] = value;
    }
    [x, next] = [next, x];
    if (change < TOLERANCE) break;
  }
  return x;
}
