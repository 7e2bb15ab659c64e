import { shardOf } from '@realchat/domain';
import type { Database } from '../src';
import { shardOfSql } from '../src/leases';
import { testDatabase } from './support';

let db: Database;
beforeAll(async () => {
  db = await testDatabase(2);
});
afterAll(() => db.close());

/** Deterministic pseudo-random non-negative int4 values (xorshift), plus the edges. */
function hashes(n: number): number[] {
  const out = [0, 1, 2, 31, 32, 4095, 4096, 2 ** 31 - 2, 2 ** 31 - 1];
  let x = 0x2545f491;
  while (out.length < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push((x >>> 0) & 0x7fffffff);
  }
  return out;
}

describe('shardOfSql', () => {
  it('PostgreSQL computes the same shard as the domain rule for many hashes and shard counts', async () => {
    const hs = hashes(2000);
    const counts = [1, 2, 3, 7, 8, 16, 31, 32, 33, 64, 100, 257, 1000, 4096];
    const { rows } = await db.pool.query<{ h: number; n: number; shard: number }>(
      `SELECT h, n, ${shardOfSql('h', 'n')} AS shard
       FROM unnest($1::int[]) AS h, unnest($2::int[]) AS n`,
      [hs, counts],
    );
    expect(rows).toHaveLength(hs.length * counts.length);
    const disagreements = rows.filter((r) => r.shard !== shardOf(r.h, r.n));
    expect(disagreements).toEqual([]);
  });
});
