import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileFacts, LanguageId, RepoIndex } from './types.js';

export interface IndexedFile {
  path: string;
  text: string;
  language: LanguageId;
  facts: FileFacts;
}

/** The resolvers' view of a pack: packed files from memory, other listed files (configs) read on demand. */
export function createRepoIndex(root: string, files: readonly IndexedFile[], listed: ReadonlySet<string>): RepoIndex {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const paths = files.map((f) => f.path);
  const extraTexts = new Map<string, string | undefined>();
  return {
    paths,
    has: (path) => byPath.has(path),
    readText(path) {
      const file = byPath.get(path);
      if (file) return file.text;
      if (!listed.has(path)) return undefined; // never read outside what discovery listed
      if (!extraTexts.has(path)) {
        let text: string | undefined;
        try {
          text = readFileSync(join(root, path), 'utf8');
        } catch {
          text = undefined;
        }
        extraTexts.set(path, text);
      }
      return extraTexts.get(path);
    },
    languageOf: (path) => byPath.get(path)?.language,
    factsOf: (path) => byPath.get(path)?.facts,
  };
}
