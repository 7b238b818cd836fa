import { detectLanguage } from '../../src/packer/language.js';
import type { FileFacts, LanguageImports, RepoIndex } from '../../src/packer/types.js';

/**
 * A repository held in memory for resolver tests: `files` are packed, `config` files are readable but
 * not packed (as a skipped go.mod or tsconfig.json would be); facts come from `family`'s own extractor.
 */
export function memRepo(family: LanguageImports, files: Record<string, string>, config: Record<string, string> = {}): RepoIndex {
  const paths = Object.keys(files).sort();
  const facts = new Map<string, FileFacts>();
  return {
    paths,
    has: (p) => p in files,
    readText: (p) => files[p] ?? config[p],
    languageOf: (p) => (p in files ? detectLanguage(p) : undefined),
    factsOf: (p) => {
      if (!(p in files) || !family.languages.includes(detectLanguage(p))) return undefined;
      if (!facts.has(p)) facts.set(p, family.extract(files[p]!, p));
      return facts.get(p);
    },
  };
}
