// An ordered collection of items keyed by latin1 strings: a list of sorted chunks (the layout
// of Python's SortedContainers). Chunks hold up to MAX_CHUNK items; `firsts` holds each
// chunk's first key, so a lookup is two binary searches with native string comparisons (no
// comparator callback, which dominated a generic B+ tree's cost on long, prefix-sharing keys
// like /registry/pods/...). Inserting shifts at most MAX_CHUNK pointers; a sorted array of a
// million items loads in linear time, which is what startup needs.
//
// Point lookups are not this structure's job: TreeIndex pairs it with a Map.

const MAX_CHUNK = 1024;
const LOAD_CHUNK = 512;

export interface Keyed {
  readonly key: string;
}

export class SortedChunks<T extends Keyed> {
  private chunks: T[][] = [];
  private firsts: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.chunks = [];
    this.firsts = [];
    this.count = 0;
  }

  /** Replaces the contents with `sorted` (strictly increasing keys; taken as is). */
  load(sorted: readonly T[]): void {
    this.clear();
    for (let i = 0; i < sorted.length; i += LOAD_CHUNK) {
      const chunk = sorted.slice(i, i + LOAD_CHUNK);
      this.chunks.push(chunk);
      this.firsts.push(chunk[0]!.key);
    }
    this.count = sorted.length;
  }

  /** The chunk that holds or would hold `key`: the last one whose first key is <= key, or 0. */
  private chunkFor(key: string): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Position of the first item with key >= `key` in a chunk (chunk.length if none). */
  private static lowerBound<T extends Keyed>(chunk: readonly T[], key: string): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (chunk[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts an item whose key is not present yet (the caller's Map knows). */
  insert(item: T): void {
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.firsts.push(item.key);
      this.count = 1;
      return;
    }
    const c = this.chunkFor(item.key);
    const chunk = this.chunks[c]!;
    const pos = SortedChunks.lowerBound(chunk, item.key);
    if (chunk[pos]?.key === item.key) throw new Error('sorted chunks: duplicate key');
    chunk.splice(pos, 0, item);
    if (pos === 0) this.firsts[c] = item.key;
    this.count++;
    if (chunk.length > MAX_CHUNK) {
      const right = chunk.splice(chunk.length >> 1);
      this.chunks.splice(c + 1, 0, right);
      this.firsts.splice(c + 1, 0, right[0]!.key);
    }
  }

  /** Removes the item with this key; false if absent. */
  delete(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const c = this.chunkFor(key);
    const chunk = this.chunks[c]!;
    const pos = SortedChunks.lowerBound(chunk, key);
    if (chunk[pos]?.key !== key) return false;
    chunk.splice(pos, 1);
    this.count--;
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.firsts.splice(c, 1);
    } else if (pos === 0) {
      this.firsts[c] = chunk[0]!.key;
    }
    return true;
  }

  /**
   * Calls fn for each item with from <= key (< to, when given), in key order, until fn returns
   * false. fn must not insert or delete.
   */
  forEachFrom(from: string, fn: (item: T) => boolean | void, to?: string): void {
    if (this.chunks.length === 0) return;
    let c = this.chunkFor(from);
    let pos = SortedChunks.lowerBound(this.chunks[c]!, from);
    for (; c < this.chunks.length; c++, pos = 0) {
      const chunk = this.chunks[c]!;
      for (; pos < chunk.length; pos++) {
        const item = chunk[pos]!;
        if (to !== undefined && item.key >= to) return;
        if (fn(item) === false) return;
      }
    }
  }
}
