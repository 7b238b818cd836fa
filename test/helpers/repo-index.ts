/** A RepoIndex over a directory on disk, for tests: every file except under .git and node_modules; texts read lazily. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { javascriptImports } from '../../src/packer/imports/javascript.js';
import { detectLanguage } from '../../src/packer/language.js';
import type { FileFacts, LanguageId, LanguageImports, RepoIndex } from '../../src/packer/types.js';

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const importers: readonly LanguageImports[] = [javascriptImports];

function extractorFor(language: LanguageId): LanguageImports | undefined {
  return importers.find((m) => m.languages.includes(language));
}

export function buildRepoIndexFromDir(root: string): RepoIndex {
  const paths: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(abs, e.name), rel + e.name + '/');
      } else if (e.isFile()) {
        paths.push(rel + e.name);
      }
    }
  };
  walk(root, '');
  paths.sort();
  const set = new Set(paths);
  const texts = new Map<string, string | undefined>();
  const facts = new Map<string, FileFacts | undefined>();
  const readText = (p: string): string | undefined => {
    if (!set.has(p)) return undefined;
    if (texts.has(p)) return texts.get(p);
    let text: string | undefined;
    try {
      text = readFileSync(join(root, p), 'utf8');
    } catch {
      text = undefined;
    }
    texts.set(p, text);
    return text;
  };
  return {
    paths,
    has: (p) => set.has(p),
    readText,
    languageOf: (p) => (set.has(p) ? detectLanguage(p) : undefined),
    factsOf: (p) => {
      if (facts.has(p)) return facts.get(p);
      const module = set.has(p) ? extractorFor(detectLanguage(p)) : undefined;
      const text = module ? readText(p) : undefined;
      const f = module && text !== undefined ? module.extract(text, p) : undefined;
      facts.set(p, f);
      return f;
    },
  };
}
