/**
 * The list of files not shown, kept short: at depth `d`, an omitted file whose directory is deeper than `d`
 * levels is counted under its ancestor directory at depth `d` ("packages/babel-core/ (212 files)"); files
 * at depth `d` or above are listed by path. `Infinity` lists every path. Lines are sorted.
 */
export function mapLines(omittedPaths: readonly string[], depth: number): string[] {
  return mapEntries(omittedPaths, depth).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The lines of `mapLines`, unsorted: what the list costs does not depend on its order. */
export function mapEntries(omittedPaths: readonly string[], depth: number): string[] {
  const listed: string[] = [];
  const counts = new Map<string, number>();
  // Sorted paths of one directory come in a run: the directory is cut out once per run, not once per path.
  let run: string | undefined;
  let inRun = 0;
  const endRun = (): void => {
    if (run !== undefined) counts.set(run, (counts.get(run) ?? 0) + inRun);
  };
  for (const path of omittedPaths) {
    // `end`: where the directory at `depth` ends; `deeper`: whether the path has a slash after it.
    let end = 0;
    let slash = path.indexOf('/');
    for (let level = 0; level < depth && slash >= 0; level++) {
      end = slash;
      slash = path.indexOf('/', slash + 1);
    }
    if (slash < 0) {
      listed.push(path);
    } else if (run !== undefined && end === run.length && path.startsWith(run)) {
      inRun++;
    } else {
      endRun();
      run = path.slice(0, end);
      inRun = 1;
    }
  }
  endRun();
  for (const [dir, n] of counts) listed.push(`${dir === '' ? '.' : dir}/ (${n} ${n === 1 ? 'file' : 'files'})`);
  return listed;
}

/** The deepest directory level in a set of paths (so depths above it list every path). */
export function maxDepth(paths: readonly string[]): number {
  let deepest = 0;
  for (const path of paths) {
    let depth = 0;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) depth++;
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}
