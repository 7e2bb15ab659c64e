import path from 'node:path';

/** Repository root (tools/infra/src -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Git-ignored folder for broker jars, database files and logs of the local infrastructure. */
export const CACHE_DIR = process.env.REALCHAT_CACHE_DIR ?? path.join(REPO_ROOT, '.cache');
