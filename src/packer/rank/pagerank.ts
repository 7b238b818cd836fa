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
  // Each file's distinct imports, ascending, in one flat list (most files import nothing: no per-file arrays).
  const outStart = new Int32Array(n + 1);
  const out: number[] = [];
  const importedBy = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = imports[i]!;
    if (row.length === 0) {
      outStart[i + 1] = out.length;
      continue;
    }
    // Usually the row is that already (the graph's rows are sorted); else it is filtered, deduplicated and sorted.
    let ready = true;
    for (let k = 0; k < row.length && ready; k++) {
      const j = row[k]!;
      ready = j !== i && j >= 0 && j < n && (k === 0 || j > row[k - 1]!);
    }
    const valid = ready ? row : row.filter((j) => j !== i && j >= 0 && j < n);
    const distinct = ready || valid.length <= 1 ? valid : [...new Set(valid)].sort((a, b) => a - b);
    for (let k = 0; k < distinct.length; k++) {
      const j = distinct[k]!;
      out.push(j);
      importedBy[j]!++;
    }
    outStart[i + 1] = out.length;
  }
  // Importers of each file, ascending (filled by increasing i), by a counting sort over the same list.
  const inStart = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) inStart[j + 1] = inStart[j]! + importedBy[j]!;
  const importers = new Int32Array(out.length);
  const filled = inStart.slice(0, n);
  for (let i = 0; i < n; i++) for (let k = outStart[i]!; k < outStart[i + 1]!; k++) importers[filled[out[k]!]!++] = i;

  const start = new Int32Array(n + 1);
  const outDegree = new Int32Array(n);
  const target = new Int32Array(out.length * 2);
  const weight = new Float64Array(out.length * 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    start[i] = k;
    const imported = outStart[i + 1]! - outStart[i]!;
    outDegree[i] = imported;
    const total = imported * IMPORTS_WEIGHT + importedBy[i]! * IMPORTED_BY_WEIGHT;
    for (let e = outStart[i]!; e < outStart[i + 1]!; e++) { target[k] = out[e]!; weight[k++] = IMPORTS_WEIGHT / total; }
    for (let e = inStart[i]!; e < inStart[i + 1]!; e++) { target[k] = importers[e]!; weight[k++] = IMPORTED_BY_WEIGHT / total; }
  }
  start[n] = k;
  return { n, start, target, weight, importedBy, outDegree };
}

/**
 * PageRank with teleport distribution `seed` (non-negative, any scale; uniform when all zero). Files without
 * edges send their rank back through the teleport. Power iteration in a fixed order: deterministic.
 *
 * Files without any edge (most of a repository's fixtures, data and docs) only ever hold teleport mass: each one's
 * value is its teleport share times one factor common to all of them. So the iteration runs over the connected
 * files only (942 of babel's 28,073) and carries the isolated ones as that single factor.
 */
export function pageRank(walk: Walk, seed?: ArrayLike<number>): Float64Array {
  const { n, start, target, weight } = walk;
  const p = new Float64Array(n);
  let sum = 0;
  if (seed) for (let i = 0; i < n; i++) sum += Math.max(0, seed[i] ?? 0);
  for (let i = 0; i < n; i++) p[i] = sum > 0 ? Math.max(0, seed![i] ?? 0) / sum : 1 / n;
  // Indexed loops over typed arrays: a pack runs this once, mostly before V8 optimises it, and `for…of` over an
  // array of numbers cost twice as much there (django: ~30 ms a question).
  const connected = new Int32Array(n);
  let count = 0;
  let isolatedTeleport = 0;
  for (let i = 0; i < n; i++) {
    if (start[i] === start[i + 1]) isolatedTeleport += p[i]!;
    else connected[count++] = i;
  }
  let x = Float64Array.from(p);
  let next = new Float64Array(n);
  /** An isolated file's value is p[i] × factor; at the start, p[i]. */
  let factor = 1;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    for (let c = 0; c < count; c++) next[connected[c]!] = 0;
    // Edges connect connected files only; the rank isolated files hold is all the dangling mass.
    const dangling = isolatedTeleport * factor;
    for (let c = 0; c < count; c++) {
      const i = connected[c]!;
      const mass = x[i]!;
      const end = start[i + 1]!;
      for (let k = start[i]!; k < end; k++) next[target[k]!]! += mass * weight[k]!;
    }
    let change = 0;
    for (let c = 0; c < count; c++) {
      const i = connected[c]!;
      const value = (1 - DAMPING) * p[i]! + DAMPING * (next[i]! + dangling * p[i]!);
      change += Math.abs(value - x[i]!);
      next[i] = value;
    }
    const nextFactor = (1 - DAMPING) + DAMPING * dangling;
    change += isolatedTeleport * Math.abs(nextFactor - factor);
    factor = nextFactor;
    [x, next] = [next, x];
    if (change < TOLERANCE) break;
  }
  for (let i = 0; i < n; i++) if (start[i] === start[i + 1]) x[i] = p[i]! * factor;
  return x;
}
