/** A RepoIndex over a directory on disk, for accuracy tests: every file outside skipped directories; texts and facts read lazily. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFacts, importsFor } from '../../src/packer/imports/index.js';
import { detectLanguage } from '../../src/packer/language.js';
import type { FileFacts, RepoIndex } from '../../src/packer/types.js';

/** By default `.git` and `node_modules` are not entered. */
export function buildRepoIndexFromDir(root: string, skipDir: (name: string) => boolean = (n) => n === '.git' || n === 'node_modules'): RepoIndex {
  const paths: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!skipDir(e.name)) walk(join(abs, e.name), rel + e.name + '/');
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
    if (!texts.has(p)) {
      let text: string | undefined;
      try {
        text = readFileSync(join(root, p), 'utf8');
      } catch {
        text = undefined;
      }
      texts.set(p, text);
    }
    return texts.get(p);
  };
  return {
    paths,
    has: (p) => set.has(p),
    readText,
    languageOf: (p) => (set.has(p) ? detectLanguage(p) : undefined),
    factsOf: (p) => {
      if (!facts.has(p)) {
        const language = detectLanguage(p);
        const text = set.has(p) && importsFor(language) ? readText(p) : undefined;
        facts.set(p, text === undefined ? undefined : extractFacts(language, text, p));
      }
      return facts.get(p);
    },
  };
}
