import type { LanguageId } from './types.js';

const byExtension: Record<string, LanguageId> = {
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript',
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  py: 'python', pyi: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin', kts: 'kotlin',
  c: 'c', h: 'c',
  cc: 'cpp', cpp: 'cpp', cxx: 'cpp', 'c++': 'cpp', hh: 'cpp', hpp: 'cpp', hxx: 'cpp', 'h++': 'cpp', ipp: 'cpp', inl: 'cpp', tcc: 'cpp',
  cs: 'csharp', rb: 'ruby', php: 'php', swift: 'swift', scala: 'scala', lua: 'lua', pl: 'perl', pm: 'perl',
  sh: 'shell', bash: 'shell', zsh: 'shell', ps1: 'powershell', tcl: 'tcl',
  sql: 'sql', r: 'r', dart: 'dart', ex: 'elixir', exs: 'elixir', erl: 'erlang', hs: 'haskell', ml: 'ocaml', clj: 'clojure',
  vue: 'vue', svelte: 'svelte', html: 'html', htm: 'html', css: 'css', scss: 'scss', less: 'less',
  json: 'json', jsonc: 'json', json5: 'json', yaml: 'yaml', yml: 'yaml', toml: 'toml', xml: 'xml', ini: 'ini',
  md: 'markdown', markdown: 'markdown', rst: 'rst', txt: 'text', proto: 'protobuf', graphql: 'graphql', gql: 'graphql',
  cmake: 'cmake', mk: 'make', dockerfile: 'dockerfile',
};

const byName: Record<string, LanguageId> = {
  makefile: 'make', gnumakefile: 'make', dockerfile: 'dockerfile', 'cmakelists.txt': 'cmake',
  'go.mod': 'gomod', 'cargo.toml': 'toml', gemfile: 'ruby', rakefile: 'ruby',
};

/** The language of a repository path, from its file name or extension; `text` when unknown. */
export function detectLanguage(path: string): LanguageId {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const named = byName[base];
  if (named) return named;
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'text';
  return byExtension[base.slice(dot + 1)] ?? 'text';
}
