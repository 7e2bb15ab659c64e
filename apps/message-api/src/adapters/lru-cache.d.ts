// lru-cache 5.1.1 ships no type declarations; this is the part of its API the members cache
// uses (https://github.com/isaacs/node-lru-cache/tree/v5.1.1#api).
declare module 'lru-cache' {
  export default class LRUCache<K, V> {
    constructor(options: { max: number });
    /** The value, marked most recently used; undefined when absent. */
    get(key: K): V | undefined;
    /** Adds or replaces; evicts the least recently used entries beyond `max`. */
    set(key: K, value: V): boolean;
    del(key: K): void;
    readonly length: number;
  }
}
