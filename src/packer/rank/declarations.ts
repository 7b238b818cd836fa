/**
 * Names a file declares (classes, functions, methods, types), found by one simple regex per language family.
 * Good enough to tell which file defines `QuerySet` or `parseExpression`; not a parser.
 */

type Family = 'python' | 'js' | 'go' | 'rust' | 'jvm' | 'c' | 'ruby' | 'php' | 'other';

const FAMILY_BY_EXTENSION: Record<string, Family> = {
  py: 'python', pyi: 'python',
  js: 'js', jsx: 'js', mjs: 'js', cjs: 'js', ts: 'js', tsx: 'js', mts: 'js', cts: 'js', vue: 'js', svelte: 'js',
  go: 'go', rs: 'rust',
  java: 'jvm', kt: 'jvm', kts: 'jvm', scala: 'jvm', groovy: 'jvm', cs: 'jvm', swift: 'jvm',
  c: 'c', h: 'c', cc: 'c', cpp: 'c', cxx: 'c', hpp: 'c', hh: 'c', hxx: 'c', m: 'c', mm: 'c',
  rb: 'ruby', php: 'php',
};

const ID = '[A-Za-z_$][\\w$]*';
const JS_MODIFIERS = '(?:(?:public|private|protected|static|async|override|readonly|abstract|declare|get|set)\\s+)*';

/** Each regex captures the declared name in group `name`. */
const PATTERNS: Record<Family, RegExp[]> = {
  python: [new RegExp(`^[ \\t]*(?:async[ \\t]+)?(?:def|class)[ \\t]+(?<name>${ID})`, 'gm')],
  js: [
    // function, class, interface, type alias, enum, namespace, at the start of a line (so not in prose comments)
    new RegExp(`^[ \\t]*(?:export[ \\t]+(?:default[ \\t]+)?)?(?:declare[ \\t]+)?(?:abstract[ \\t]+)?(?:async[ \\t]+)?(?:const[ \\t]+)?(?:function\\*?|class|interface|type|enum|namespace)[ \\t]+(?<name>${ID})`, 'gm'),
    // const f = (…) => / function / async …, and `exports.f =` / `module.exports.f =`
    new RegExp(`^[ \\t]*(?:export[ \\t]+)?(?:const|let|var)[ \\t]+(?<name>${ID})[ \\t]*(?::[^=\\n]+)?=[ \\t]*(?:async[ \\t]*)?(?:function\\b|\\(|${ID}[ \\t]*=>)`, 'gm'),
    new RegExp(`^[ \\t]*(?:module\\.)?exports\\.(?<name>${ID})[ \\t]*=`, 'gm'),
    // class members written on one line: `  parseFoo(a, b): T {`
    new RegExp(`^[ \\t]+${JS_MODIFIERS}\\*?(?<name>${ID})[ \\t]*(?:<[^>\\n]*>)?\\([^;\\n]*\\)[ \\t]*(?::[^;{=\\n]+)?\\{[ \\t]*$`, 'gm'),
    // class members whose parameters span lines: `  parseFoo(\n    a,\n  ): T {` (a call would end in `);`); bounded, so a
    // file without semicolons cannot make it scan to the end from every line
    new RegExp(`^([ \\t]+)${JS_MODIFIERS}\\*?(?<name>${ID})[ \\t]*(?:<[^>\\n]*>)?\\([ \\t]*\\n[^;]{0,2000}?\\n\\1\\)[^;\\n]*\\{[ \\t]*$`, 'gm'),
  ],
  go: [
    new RegExp(`^func[ \\t]+(?:\\([^)]*\\)[ \\t]*)?(?<name>${ID})`, 'gm'),
    new RegExp(`^type[ \\t]+(?<name>${ID})`, 'gm'),
  ],
  rust: [new RegExp(`^[ \\t]*(?:pub(?:\\([^)]*\\))?[ \\t]+)?(?:(?:const|async|unsafe|extern(?:[ \\t]+"[^"]*")?)[ \\t]+)*(?:fn|struct|enum|trait|type|mod|union|macro_rules!)[ \\t]+(?<name>${ID})`, 'gm')],
  jvm: [
    new RegExp(`^[ \\t]*(?:(?:public|private|protected|internal|static|final|abstract|sealed|open|data|inner|override|suspend|inline|partial|case)[ \\t]+)*(?:class|interface|enum|record|object|trait|struct|fun|def)[ \\t]+(?:<[^>\\n]*>[ \\t]*)?(?:${ID}\\.)?(?<name>${ID})`, 'gm'),
    new RegExp(`^[ \\t]+(?:(?:public|private|protected|internal|static|final|abstract|synchronized|native|default|override|virtual|async)[ \\t]+)+[\\w<>\\[\\],.? \\t]*?(?<name>${ID})[ \\t]*\\(`, 'gm'),
  ],
  c: [
    new RegExp(`^[ \\t]*(?:typedef[ \\t]+)?(?:struct|class|union|enum|namespace)[ \\t]+(?<name>${ID})[ \\t]*(?::[^;{]*)?\\{`, 'gm'),
    new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+(?<name>${ID})`, 'gm'),
    new RegExp(`^(?!.*\\b(?:return|else|if|while|for|switch)\\b)[A-Za-z_][\\w \\t*&:<>,]*?[ \\t*&](?:${ID}::)?(?<name>${ID})[ \\t]*\\([^;\\n]*$`, 'gm'),
    new RegExp(`\\btypedef\\b[^;]*?(?<name>${ID})[ \\t]*;`, 'g'),
  ],
  ruby: [new RegExp(`^[ \\t]*(?:def[ \\t]+(?:self\\.)?|class[ \\t]+|module[ \\t]+)(?<name>${ID})`, 'gm')],
  php: [new RegExp(`^[ \\t]*(?:(?:public|private|protected|static|final|abstract)[ \\t]+)*(?:function|class|interface|trait|enum)[ \\t]+&?(?<name>${ID})`, 'gm')],
  other: [],
};

/** Words a member-like regex may catch that are statements, not names. */
const NOT_NAMES = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'with', 'else', 'do', 'super', 'new', 'typeof', 'await', 'yield', 'constructor']);

export function familyOf(path: string): Family {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? 'other' : (FAMILY_BY_EXTENSION[path.slice(dot + 1).toLowerCase()] ?? 'other');
}

/** The distinct names a file declares, in order of first declaration. */
export function declaredNames(path: string, text: string): string[] {
  const names = new Set<string>();
  for (const pattern of PATTERNS[familyOf(path)]) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      const name = match.groups?.name;
      if (name && !NOT_NAMES.has(name)) names.add(name);
    }
  }
  return [...names];
}
