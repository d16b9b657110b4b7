/** What bounds a {@link BoundedCache}: a count of entries, a total size, or both. */
export interface BoundedCacheOptions<K, V> {
  /** Most entries kept. @defaultValue Infinity */
  readonly max?: number;
  /** Largest total of `sizeOf` over the entries kept. @defaultValue Infinity */
  readonly maxSize?: number;
  /** Size of one entry (a positive number); required with `maxSize`. */
  readonly sizeOf?: (value: V, key: K) => number;
}

/**
 * A least-recently-used cache bounded by entry count and/or total size: what promptpin's caches of
 * compiled templates and validated versions need, and nothing more (no TTL, no fetch, no disposal).
 * A Map keeps insertion order, so a hit moves its entry to the end and eviction drops from the front.
 * It replaces `lru-cache`, whose full feature set cost 5.5 KB of the runtime's 50 KB budget.
 * An entry larger than `maxSize` is not stored (as lru-cache does).
 */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, { value: V; size: number }>();
  readonly #max: number;
  readonly #maxSize: number;
  readonly #sizeOf: ((value: V, key: K) => number) | undefined;
  #size = 0;

  constructor(options: BoundedCacheOptions<K, V>) {
    this.#max = options.max ?? Infinity;
    this.#maxSize = options.maxSize ?? Infinity;
    this.#sizeOf = options.sizeOf;
    if (!(this.#max >= 1)) throw new RangeError(`BoundedCache: max must be at least 1, got ${this.#max}`);
    if (!(this.#maxSize >= 1)) throw new RangeError(`BoundedCache: maxSize must be at least 1, got ${this.#maxSize}`);
    if (options.maxSize !== undefined && this.#sizeOf === undefined) throw new TypeError('BoundedCache: maxSize needs sizeOf to measure entries');
  }

  /** Entries kept now. */
  get count(): number {
    return this.#map.size;
  }

  /** Total size of the entries kept now (0 without `sizeOf`). */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, marking it most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  /** Stores `value` as the most recently used, then evicts the least recently used past the bounds. */
  set(key: K, value: V): void {
    const size = this.#sizeOf ? this.#sizeOf(value, key) : 0;
    if (!(size >= 0) || !Number.isFinite(size)) throw new RangeError(`BoundedCache: sizeOf returned ${size}; sizes are finite numbers >= 0`);
    this.delete(key);
    if (size > this.#maxSize) return;
    this.#map.set(key, { value, size });
    this.#size += size;
    for (const [oldest, entry] of this.#map) {
      if (this.#map.size <= this.#max && this.#size <= this.#maxSize) break;
      this.#map.delete(oldest);
      this.#size -= entry.size;
    }
  }

  /** Removes `key`; true when it was present. */
  delete(key: K): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#map.delete(key);
    this.#size -= entry.size;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#size = 0;
  }
}
