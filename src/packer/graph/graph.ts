/** Files and who imports whom: `imports[i]` lists the indices of the files that file `i` imports. */
export interface DependencyGraph {
  readonly paths: readonly string[];
  readonly imports: readonly (readonly number[])[];
}

export function buildGraph(paths: readonly string[], importsOf: (path: string) => readonly string[]): DependencyGraph {
  const index = new Map(paths.map((p, i) => [p, i]));
  const imports = paths.map((path, i) => {
    const targets = new Set<number>();
    for (const target of importsOf(path)) {
      const j = index.get(target);
      if (j !== undefined && j !== i) targets.add(j);
    }
    return [...targets].sort((a, b) => a - b);
  });
  return { paths, imports };
}

/** A graph's edges as [file, files it imports] for each file that imports any: what a cache keeps. */
export function edgesOf(graph: DependencyGraph): [number, readonly number[]][] {
  const edges: [number, readonly number[]][] = [];
  graph.imports.forEach((targets, i) => {
    if (targets.length > 0) edges.push([i, targets]);
  });
  return edges;
}

/** The graph of `paths` whose edges `edgesOf` gave. */
export function graphFromEdges(paths: readonly string[], edges: readonly (readonly [number, readonly number[]])[]): DependencyGraph {
  const imports: (readonly number[])[] = paths.map(() => []);
  for (const [from, targets] of edges) imports[from] = targets;
  return { paths, imports };
}

/**
 * Strongly connected components (Tarjan's algorithm, iterative so 100K-file chains cannot overflow
 * the stack). Components come out dependencies first: a component is emitted after every component
 * it imports. `component[i]` is file i's component index.
 */
export function stronglyConnectedComponents(graph: DependencyGraph): { components: number[][]; component: number[] } {
  const n = graph.paths.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const component = new Array<number>(n).fill(-1);
  const components: number[][] = [];
  let counter = 0;
  const frames: { node: number; edge: number }[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    frames.push({ node: root, edge: 0 });
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const edges = graph.imports[frame.node]!;
      if (frame.edge < edges.length) {
        const next = edges[frame.edge++]!;
        if (index[next] === -1) {
          index[next] = low[next] = counter++;
          stack.push(next);
          onStack[next] = 1;
          frames.push({ node: next, edge: 0 });
        } else if (onStack[next]) {
          low[frame.node] = Math.min(low[frame.node]!, index[next]!);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node]!, low[frame.node]!);
      if (low[frame.node] === index[frame.node]) {
        const members: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component[member] = components.length;
          members.push(member);
        } while (member !== frame.node);
        components.push(members.sort((a, b) => a - b));
      }
    }
  }
  return { components, component };
}
