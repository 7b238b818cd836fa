import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';
import { stronglyConnectedComponents, type DependencyGraph } from '../graph/graph.js';

const execFileAsync = promisify(execFile);

export type OrderName = 'dependency' | 'reverse' | 'alphabetical' | 'random' | 'churn';

export interface OrderSpec {
  name: OrderName;
  /** The seed of `random:SEED`. */
  seed?: string;
}

export const ORDER_HELP = 'dependency, reverse, alphabetical, random:SEED or churn';

export function parseOrder(text: string): OrderSpec {
  const [name, ...rest] = text.split(':');
  const seed = rest.join(':');
  if (name === 'random') {
    if (!seed) throw new UsageError(`--order random needs a seed, e.g. random:42, so the prompt is reproducible`);
    return { name, seed };
  }
  if ((name === 'dependency' || name === 'reverse' || name === 'alphabetical' || name === 'churn') && rest.length === 0) {
    return { name };
  }
  throw new UsageError(`unknown --order "${text}": use ${ORDER_HELP}`);
}

export function formatOrder(order: OrderSpec): string {
  return order.name === 'random' ? `random:${order.seed}` : order.name;
}

/** The result of ordering: file indices in prompt order, plus the cycles the dependency order had to break. */
export interface Ordering {
  order: number[];
  /** Non-trivial strongly connected components (mutual imports), each sorted by index. */
  cycles: number[][];
  /** `cycleOf[i]` is the index in `cycles` of file i's cycle, or -1. */
  cycleOf: number[];
}

/**
 * Dependencies before dependents. Cycles are condensed to components; the condensed graph is walked
 * depth-first from files in path order, emitting each component after the components it imports, so a
 * dependency lands just before its first dependent and files of one area stay together. Inside a
 * cycle, files whose in-cycle imports are already placed go first (fewest unplaced imports, then path).
 */
export function dependencyOrder(graph: DependencyGraph): Ordering {
  const { components, component } = stronglyConnectedComponents(graph);
  const n = graph.paths.length;
  const byPath = Array.from({ length: n }, (_, i) => i).sort((a, b) => compare(graph.paths[a]!, graph.paths[b]!));
  const componentSeen = new Uint8Array(components.length);
  const order: number[] = [];
  const emitComponent = (c: number): void => {
    const members = components[c]!;
    if (members.length === 1) {
      order.push(members[0]!);
      return;
    }
    const placed = new Set<number>();
    const inCycle = new Set(members);
    const remaining = [...members].sort((a, b) => compare(graph.paths[a]!, graph.paths[b]!));
    while (remaining.length > 0) {
      let best = 0;
      let bestUnplaced = Infinity;
      remaining.forEach((m, k) => {
        const unplaced = graph.imports[m]!.filter((t) => inCycle.has(t) && !placed.has(t)).length;
        if (unplaced < bestUnplaced) {
          best = k;
          bestUnplaced = unplaced;
        }
      });
      const [m] = remaining.splice(best, 1);
      placed.add(m!);
      order.push(m!);
    }
  };
  // Component-level depth-first walk; each frame holds a component and its sorted dependency list.
  const dependenciesOf = (c: number): number[] => {
    const deps = new Set<number>();
    for (const m of components[c]!) for (const t of graph.imports[m]!) if (component[t] !== c) deps.add(component[t]!);
    return [...deps].sort((a, b) => compare(firstPath(a), firstPath(b)));
  };
  const firstPath = (c: number): string => graph.paths[components[c]![0]!]!;
  for (const start of byPath) {
    const root = component[start]!;
    if (componentSeen[root]) continue;
    componentSeen[root] = 1;
    const frames: { c: number; deps: number[]; next: number }[] = [{ c: root, deps: dependenciesOf(root), next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.next < frame.deps.length) {
        const dep = frame.deps[frame.next++]!;
        if (!componentSeen[dep]) {
          componentSeen[dep] = 1;
          frames.push({ c: dep, deps: dependenciesOf(dep), next: 0 });
        }
        continue;
      }
      frames.pop();
      emitComponent(frame.c);
    }
  }
  return withCycleOf(n, order, components.filter((c) => c.length > 1));
}

/** An ordering from its order and cycles (as a cache keeps it). */
export function withCycleOf(files: number, order: number[], cycles: number[][]): Ordering {
  const cycleOf = new Array<number>(files).fill(-1);
  cycles.forEach((members, k) => members.forEach((m) => (cycleOf[m] = k)));
  return { order, cycles, cycleOf };
}

/** Any order of the files: every one is a permutation of the same files. */
export async function orderFiles(
  graph: DependencyGraph, spec: OrderSpec, root: string, git: boolean, dependency: Ordering = dependencyOrder(graph),
): Promise<Ordering> {
  const indices = Array.from({ length: graph.paths.length }, (_, i) => i);
  switch (spec.name) {
    case 'dependency':
      return dependency;
    case 'reverse':
      return { ...dependency, order: [...dependency.order].reverse() };
    case 'alphabetical':
      return { ...dependency, order: indices.sort((a, b) => compare(graph.paths[a]!, graph.paths[b]!)) };
    case 'random':
      return { ...dependency, order: seededShuffle(indices, spec.seed ?? '') };
    case 'churn': {
      if (!git) throw new UsageError(`--order churn needs git history, and ${root} is not inside a git work tree: use another --order`);
      const changes = await churnCounts(root);
      return {
        ...dependency,
        order: indices.sort((a, b) => (changes.get(graph.paths[a]!) ?? 0) - (changes.get(graph.paths[b]!) ?? 0)
          || compare(graph.paths[a]!, graph.paths[b]!)),
      };
    }
  }
}

/** How many commits touched each path (relative to `root`), from git history. */
async function churnCounts(root: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('git', ['log', '--format=', '--name-only', '--no-renames', '--relative', '--', '.'], {
      cwd: root, maxBuffer: 1024 * 1024 * 1024,
    }));
  } catch {
    return counts; // no commits yet: every file has churn 0
  }
  for (const line of stdout.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** Fisher–Yates with a small seeded generator (mulberry32 over a string hash of the seed). */
export function seededShuffle<T>(items: T[], seed: string): T[] {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let state = h >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
