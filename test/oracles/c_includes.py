#!/usr/bin/env python3
"""Independent oracle for direct C/C++ #include edges: the compiler's own preprocessor decides.

Usage: c_includes.py ROOT CONFIG_JSON
  CONFIG_JSON: {"include_dirs": [[path_prefix, [dir, ...]], ...]}  -- the -I flags of the project's
  build per part of the tree (read from its Makefiles); the first matching prefix wins.
Prints JSON: {"edges": {file: [included repo files]}, "skipped": {reason: count}, "files": n}.

How it decides *direct* edges with the compiler: every file of the repository is mirrored into a
temporary tree as an EMPTY file; for each C/C++ file X, X alone gets its real text back and
`gcc -M -MG -nostdinc` lists what X includes -- transitive includes vanish because every other file
is empty. `-nostdinc` keeps system headers out, `-MG` keeps going past headers that are not in the
tree (generated or system ones), and those are dropped because they are not repository files.
What the oracle can NOT decide: which branch of a conditional a real build takes. So the oracle
strips conditional directives (#if/#ifdef/#elif/#else/#endif) and #error lines from X, keeping only
`#if 0` groups dead: it reports every include in any configuration, resolved the way gcc resolves
it with the build's -I flags. `#include MACRO` lines make gcc fail; such files are skipped and counted.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

C_EXT = {'.c', '.h', '.cc', '.cpp', '.cxx', '.hh', '.hpp', '.hxx', '.ipp', '.inl', '.tcc'}
CPP_EXT = {'.cc', '.cpp', '.cxx', '.hh', '.hpp', '.hxx', '.ipp', '.inl', '.tcc'}
DIRECTIVE = re.compile(r'^\s*#\s*(\w+)(.*)$')


def open_conditionals(text):
    """Removes conditional directives except `#if 0` groups, which stay (so their contents stay dead)."""
    out = []
    stack = []  # True = keep this group's directives (#if 0 group)
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        # gather a directive's continuation lines
        full = line
        j = i
        while full.endswith('\\') and j + 1 < len(lines):
            j += 1
            full = full[:-1] + lines[j]
        m = DIRECTIVE.match(full)
        drop = False
        if m:
            name, arg = m.group(1), m.group(2).strip()
            if name in ('if', 'ifdef', 'ifndef'):
                keep = name == 'if' and re.match(r'^\(?\s*(0|false)\s*\)?\s*($|&&)', arg) is not None
                stack.append(keep)
                drop = not keep
            elif name in ('elif', 'else', 'elifdef', 'elifndef'):
                drop = not (stack and stack[-1])
            elif name == 'endif':
                keep = stack.pop() if stack else False
                drop = not keep
            elif name in ('error', 'warning'):
                drop = True
        if drop:
            out.extend([''] * (j - i + 1))
        else:
            out.extend(lines[i:j + 1])
        i = j + 1
    return '\n'.join(out)


def parse_deps(output):
    text = output.replace('\\\n', ' ')
    _, _, deps = text.partition(':')
    # paths with escaped spaces are not expected in these corpora
    return deps.split()


def main():
    root = os.path.abspath(sys.argv[1])
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    rules = config.get('include_dirs', [])
    files = []
    for d, dirnames, names in os.walk(root):
        dirnames[:] = [x for x in dirnames if not x.startswith('.')]
        for nm in names:
            files.append(os.path.relpath(os.path.join(d, nm), root).replace(os.sep, '/'))
    files.sort()
    fileset = set(files)
    tmp = tempfile.mkdtemp(prefix='c-oracle-')
    try:
        tree = os.path.join(tmp, 'tree')
        cwd = os.path.join(tmp, 'cwd')
        empty = os.path.join(tmp, 'empty')
        os.makedirs(cwd)
        os.makedirs(empty)
        for f in files:
            p = os.path.join(tree, f)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, 'w').close()
        edges = {}
        skipped = {}
        subjects = [f for f in files if os.path.splitext(f)[1] in C_EXT]
        for f in subjects:
            try:
                with open(os.path.join(root, f), encoding='utf-8', errors='surrogateescape') as fh:
                    text = fh.read()
            except OSError:
                skipped['unreadable'] = skipped.get('unreadable', 0) + 1
                continue
            dirs = []
            for prefix, ds in rules:
                if f.startswith(prefix):
                    dirs = ds
                    break
            target = os.path.join(tree, f)
            with open(target, 'w', encoding='utf-8', errors='surrogateescape') as fh:
                fh.write(open_conditionals(text))
            lang = 'c++' if os.path.splitext(f)[1] in CPP_EXT else 'c'
            # an empty -I dir last, so angled includes have somewhere to search (and find nothing)
            cmd = ['gcc', '-M', '-MG', '-nostdinc', '-w', '-x', lang]
            for d in dirs:
                cmd += ['-I', os.path.join(tree, d)]
            cmd += ['-I', empty, target]
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors='surrogateescape')
            open(target, 'w').close()
            if r.returncode != 0:
                errs = [ln for ln in r.stderr.splitlines() if 'error: ' in ln] or ['?']
                reason = 'preprocessor error: ' + re.sub(r'^.*?error: ', '', errs[0])[:60]
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            out = set()
            for dep in parse_deps(r.stdout):
                if not os.path.isabs(dep):
                    continue  # -MG: a header not found anywhere, printed as written
                rel = os.path.relpath(os.path.normpath(dep), tree).replace(os.sep, '/')
                if rel.startswith('../') or rel == f or rel not in fileset:
                    continue
                out.add(rel)
            edges[f] = sorted(out)
        json.dump({'edges': edges, 'skipped': skipped, 'files': len(subjects)}, sys.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
