import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$LONGREPO_CACHE_DIR`, else `$XDG_CACHE_HOME/longrepo`, else the platform's user cache directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LONGREPO_CACHE_DIR) return env.LONGREPO_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'longrepo');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'longrepo');
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'longrepo', 'Cache');
  return join(homedir(), '.cache', 'longrepo');
}
