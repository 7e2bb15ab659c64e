import { conversationHash, shardOf } from '../src';

describe('conversationHash', () => {
  it.each([
    ['', 0x811c9dc5 & 0x7fffffff],
    ['a', 0xe40c292c & 0x7fffffff],
    ['foobar', 0xbf9cf968 & 0x7fffffff],
  ])('is FNV-1a of %j made a non-negative int4', (id, expected) => {
    expect(conversationHash(id)).toBe(expected);
  });

  it('is always a non-negative int4, so `hash % n` is the same in SQL and TypeScript', () => {
    for (let i = 0; i < 5000; i++) {
      const h = conversationHash(`conversation-${i}-${i * 7919}`);
      expect(Number.isInteger(h) && h >= 0 && h <= 2 ** 31 - 1).toBe(true);
    }
  });
});

describe('shardOf', () => {
  it.each([
    [0, 32, 0],
    [31, 32, 31],
    [32, 32, 0],
    [2 ** 31 - 1, 32, 31],
    [2 ** 31 - 1, 1, 0],
    [12345, 7, 12345 % 7],
  ])('shardOf(%d, %d) = %d', (hash, count, shard) => {
    expect(shardOf(hash, count)).toBe(shard);
  });
});
