/** Repository paths (`/`-separated, relative to the root, no leading `./`) as the resolvers use them. */

/** The directory of a path; '' for a file at the root. */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `dir` joined with a relative path, resolving `.` and `..`; undefined when it climbs above the root. */
export function joinPath(dir: string, relative: string): string | undefined {
  const parts = dir === '' ? [] : dir.split('/');
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return parts.join('/');
}

/** A name inside `dir` (no normalisation). */
export function childPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Config files (go.mod, Cargo.toml, …) by directory: `nearest(dir)` is the parsed `name` file in `dir` or the
 * nearest one above it; each directory's file is read and parsed once; `found()` lists every one read so far.
 */
export function nearestConfig<T>(
  readText: (path: string) => string | undefined, name: string, parse: (text: string, dir: string) => T | undefined,
): { nearest(dir: string): T | undefined; found(): T[] } {
  const own = new Map<string, T | undefined>();
  const nearestCache = new Map<string, T | undefined>();
  const read = (dir: string): T | undefined => {
    if (!own.has(dir)) {
      const text = readText(childPath(dir, name));
      own.set(dir, text === undefined ? undefined : parse(text, dir));
    }
    return own.get(dir);
  };
  const nearest = (dir: string): T | undefined => {
    if (nearestCache.has(dir)) return nearestCache.get(dir);
    const config = read(dir) ?? (dir === '' ? undefined : nearest(dirOf(dir)));
    nearestCache.set(dir, config);
    return config;
  };
  return { nearest, found: () => [...own.values()].filter((c): c is T => c !== undefined) };
}
