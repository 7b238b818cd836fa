import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParseError } from 'jsonc-parser';
import { UsageError } from '../packer/errors.js';

/** `.longrepo.json` in the repository: the project's model and packing settings (comments allowed). Never keys. */
export interface ProjectConfig {
  endpoint?: string;
  provider?: string;
  model?: string;
  window?: number;
  maxTokens?: number;
  temperature?: number;
  timeout?: number;
  redact?: boolean;
  order?: string;
  tokenizer?: string;
  format?: string;
  lineNumbers?: string;
}

export const PROJECT_CONFIG_FILE = '.longrepo.json';

const FIELDS: Record<keyof ProjectConfig, 'string' | 'number' | 'boolean'> = {
  endpoint: 'string', provider: 'string', model: 'string', window: 'number', maxTokens: 'number', temperature: 'number',
  timeout: 'number', redact: 'boolean', order: 'string', tokenizer: 'string', format: 'string', lineNumbers: 'string',
};

/** Reads `.longrepo.json` from `dir`; none is an empty config, a broken one a UsageError naming the line and field. */
export async function readProjectConfig(dir: string): Promise<ProjectConfig> {
  const path = join(dir, PROJECT_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const errors: ParseError[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, as in imports/javascript.ts
  const { parse, printParseErrorCode } = require('jsonc-parser') as typeof import('jsonc-parser');
  const json: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const line = text.slice(0, errors[0]!.offset).split('\n').length;
    throw new UsageError(`${path} line ${line}: ${printParseErrorCode(errors[0]!.error)}; fix the JSON or remove the file`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`${path} must hold a JSON object of settings`);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (/key|token|secret|password/i.test(key) && !(key in FIELDS)) {
      throw new UsageError(`${path} has "${key}": API keys do not belong in a file that may be committed; set LONGREPO_API_KEY instead`);
    }
    const type = FIELDS[key as keyof ProjectConfig];
    if (!type) throw new UsageError(`${path}: unknown setting "${key}"; known settings: ${Object.keys(FIELDS).join(', ')}`);
    if (typeof value !== type) throw new UsageError(`${path}: "${key}" must be a ${type}, not ${JSON.stringify(value)}`);
    config[key] = value;
  }
  return config as ProjectConfig;
}
