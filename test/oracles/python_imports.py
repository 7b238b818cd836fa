#!/usr/bin/env python3
"""Independent oracle for Python import edges: CPython's own parser and path finder, no repository code run.

Usage: python_imports.py ROOT SYS_PATH_JSON
  SYS_PATH_JSON: the repository directories on sys.path when its code runs, e.g. ["", "tests"].
Prints JSON: {"edges": {file: [module files]}, "imports": {file: ["import:a.b", "from:..m:name", ...]},
"skipped": {reason: count}, "files": n}.

Imports are found with `ast` (every Import/ImportFrom node, also inside functions and try blocks).
Relative names become absolute with `importlib.util.resolve_name` against the file's package (the chain
of directories holding `__init__.py` above it). Names are found with
`importlib.machinery.PathFinder.find_spec`, one dotted component at a time, on sys.path = the file's own
directory when it is not in a package (as for a script), the directory above its top-level package, then
SYS_PATH_JSON. Edges: `import a.b.c` -> the file of module a.b.c only (not the parents' __init__.py);
`from m import n` -> m.n's file when m is a package with a submodule n, else m's own file.
"""
import ast
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings


def main():
    root = os.path.abspath(sys.argv[1])
    entries = [os.path.join(root, e) if e else root for e in json.loads(sys.argv[2])]
    files = []
    for d, dirnames, names in os.walk(root):
        dirnames[:] = sorted(x for x in dirnames if not x.startswith('.') and x != '__pycache__')
        for nm in names:
            if nm.endswith('.py'):
                files.append(os.path.join(d, nm))
    files.sort()
    spec_cache = {}

    def find(fullname, path):
        key = (fullname, tuple(path))
        if key not in spec_cache:
            try:
                spec_cache[key] = importlib.machinery.PathFinder.find_spec(fullname, list(path))
            except (ImportError, ValueError):
                spec_cache[key] = None
        return spec_cache[key]

    def find_dotted(name, path):
        spec = None
        parts = name.split('.')
        for k in range(len(parts)):
            if spec is not None and spec.submodule_search_locations is None:
                return None
            search = path if spec is None else list(spec.submodule_search_locations)
            spec = find('.'.join(parts[:k + 1]), search)
            if spec is None:
                return None
        return spec

    def origin(spec):
        o = getattr(spec, 'origin', None)
        if not o or not os.path.isfile(o) or not o.endswith('.py'):
            return None
        rel = os.path.relpath(o, root)
        return None if rel.startswith('..') else rel.replace(os.sep, '/')

    edges = {}
    raw = {}
    skipped = {}
    for f in files:
        rel = os.path.relpath(f, root).replace(os.sep, '/')
        try:
            with open(f, 'rb') as fh:
                source = fh.read()
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                tree = ast.parse(source, filename=f)
        except (SyntaxError, ValueError) as e:
            reason = 'does not parse with Python %d.%d: %s' % (sys.version_info[0], sys.version_info[1], type(e).__name__)
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        # the file's package: the chain of directories with __init__.py above it
        d = os.path.dirname(f)
        parts = []
        while os.path.isfile(os.path.join(d, '__init__.py')):
            parts.insert(0, os.path.basename(d))
            d = os.path.dirname(d)
        package = '.'.join(parts)
        top_parent = d
        path = ([os.path.dirname(f)] if not parts else [top_parent]) + [e for e in entries if e != top_parent]
        out = set()
        written = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    written.add('import:' + alias.name)
                    spec = find_dotted(alias.name, path)
                    o = spec and origin(spec)
                    if o:
                        out.add(o)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    written.add('from:' + '.' * node.level + (node.module or '') + ':' + alias.name)
                if node.level:
                    if not package:
                        continue  # relative import outside a package: ImportError
                    try:
                        name = importlib.util.resolve_name('.' * node.level + (node.module or ''), package)
                    except ImportError:
                        continue
                else:
                    name = node.module
                spec = find_dotted(name, path)
                if spec is None:
                    continue
                for alias in node.names:
                    sub = None
                    if alias.name != '*' and spec.submodule_search_locations is not None:
                        sub = find(name + '.' + alias.name, list(spec.submodule_search_locations))
                    o = origin(sub) if sub is not None else origin(spec)
                    if o:
                        out.add(o)
        out.discard(rel)
        edges[rel] = sorted(out)
        raw[rel] = sorted(written)
    json.dump({'edges': edges, 'imports': raw, 'skipped': skipped, 'files': len(files)}, sys.stdout)


if __name__ == '__main__':
    main()
