import type { FileFacts, LanguageId, LanguageImports } from '../types.js';
import { cImports } from './c.js';
import { goImports } from './go.js';
import { javascriptImports } from './javascript.js';
import { jvmImports } from './jvm.js';
import { pythonImports } from './python.js';
import { rustImports } from './rust.js';

/** Every language whose imports become edges; other languages are packed without edges. */
export const LANGUAGE_IMPORTS: readonly LanguageImports[] = [
  javascriptImports, pythonImports, goImports, rustImports, jvmImports, cImports,
];

const byLanguage = new Map<LanguageId, LanguageImports>();
for (const family of LANGUAGE_IMPORTS) for (const language of family.languages) byLanguage.set(language, family);

export function importsFor(language: LanguageId): LanguageImports | undefined {
  return byLanguage.get(language);
}

const NO_FACTS: FileFacts = { imports: [] };

/** The facts of one file, from its text alone (so they can be cached by content). */
export function extractFacts(language: LanguageId, text: string, path: string): FileFacts {
  const family = byLanguage.get(language);
  return family ? family.extract(text, path) : NO_FACTS;
}
