/**
 * A map that keeps its newest `capacity` keys: adding one more drops the oldest. The oldest is found in a ring of
 * keys rather than through the map's own iterator, which has to step over every slot a delete left behind until the
 * table is rehashed: on a map that drops a key per insert, that walk grew to most of the cost of the insert.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly order: Array<K | undefined>;
  private oldest = 0;

  constructor(private readonly capacity: number) {
    this.order = new Array<K | undefined>(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Sets `key`; a key already held keeps its age. */
  set(key: K, value: V): void {
    if (!this.map.has(key)) {
      const dropped = this.order[this.oldest];
      if (dropped !== undefined) this.map.delete(dropped);
      this.order[this.oldest] = key;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    this.map.set(key, value);
  }
}
