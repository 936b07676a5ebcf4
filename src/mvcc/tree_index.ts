// The in-memory index: key -> KeyIndex in a B+ tree ordered by key bytes (latin1 strings, see
// key_index.ts), so ranges walk keys in etcd's order. The index answers "which revision holds
// key K at revision R"; the rows themselves stay in the backend.

import { BTree } from './sorted_btree.js';
import { KeyIndex, type KeyAt } from './key_index.js';

/**
 * A range in index terms. `end` undefined = the single key `key`; `end` '' = every key >= key;
 * otherwise keys in [key, end).
 */
export interface KeySpan {
  key: string;
  end: string | undefined;
}

export interface KeyRevision extends KeyAt {
  key: string;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class TreeIndex {
  private tree = new BTree<string, KeyIndex>(undefined, byteOrder);

  /** Number of keys with any history (live or not yet compacted away). */
  get size(): number {
    return this.tree.size;
  }

  keyIndex(key: string): KeyIndex | undefined {
    return this.tree.get(key);
  }

  /** Inserts a fresh KeyIndex (startup restore). */
  insert(ki: KeyIndex): void {
    this.tree.set(ki.key, ki);
  }

  get(key: string, atRev: number): KeyAt | undefined {
    return this.tree.get(key)?.get(atRev);
  }

  put(key: string, main: number, sub: number): void {
    let ki = this.tree.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.tree.set(key, ki);
    }
    ki.put(main, sub);
  }

  /** Tombstones a live key; false if it was not live. */
  tombstone(key: string, main: number, sub: number): boolean {
    const ki = this.tree.get(key);
    return ki !== undefined && ki.tombstone(main, sub);
  }

  /** Calls fn for each KeyIndex in the span, in key order, until fn returns false. */
  visit(span: KeySpan, fn: (ki: KeyIndex) => boolean | void): void {
    if (span.end === undefined) {
      const ki = this.tree.get(span.key);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (span.end !== '' && span.end <= span.key) return;
    const high = span.end === '' ? this.tree.maxKey() : span.end;
    if (high === undefined) return;
    this.tree.forRange(span.key, high, span.end === '', (_k, ki) => (fn(ki) === false ? { break: true } : undefined));
  }

  /**
   * The keys live at atRev within the span, with the revision holding each: at most `limit`
   * (0 = all) of them, plus the total count of live keys in the span.
   */
  revisions(span: KeySpan, atRev: number, limit: number): { revs: KeyRevision[]; total: number } {
    const revs: KeyRevision[] = [];
    let total = 0;
    this.visit(span, (ki) => {
      const at = ki.get(atRev);
      if (at === undefined) return;
      total++;
      if (limit <= 0 || revs.length < limit) revs.push({ key: ki.key, ...at });
    });
    return { revs, total };
  }

  count(span: KeySpan, atRev: number): number {
    let n = 0;
    this.visit(span, (ki) => {
      if (ki.get(atRev) !== undefined) n++;
    });
    return n;
  }

  /**
   * Compacts up to maxKeys key indexes at atRev, starting at key `from` (inclusive), removing
   * those left empty and adding kept revisions to `available`. Returns the key to resume from,
   * or undefined when every key has been visited. Writes may happen between chunks: they only
   * add revisions above atRev, which compaction never touches.
   */
  compactChunk(atRev: number, from: string, maxKeys: number, available: Set<string>): string | undefined {
    const high = this.tree.maxKey();
    if (high === undefined) return undefined;
    let done = 0;
    let resume: string | undefined;
    this.tree.editRange(from, high, true, (k, ki) => {
      if (done >= maxKeys) {
        resume = k;
        return { break: true };
      }
      done++;
      ki.compact(atRev, available);
      return ki.isEmpty() ? { delete: true } : undefined;
    });
    return resume;
  }

  /** The revisions a compaction at atRev would keep (for hashKV), without changing anything. */
  keep(atRev: number): Set<string> {
    const available = new Set<string>();
    this.tree.forEachPair((_k, ki) => {
      ki.keep(atRev, available);
    });
    return available;
  }

  clear(): void {
    this.tree.clear();
  }
}
