// The in-memory index: key -> KeyIndex. A Map answers point lookups (every put, every
// single-key range) with one hash probe; a SortedChunks list keeps the same KeyIndexes in byte
// order of keys (latin1 strings, see key_index.ts) for range scans. The index answers "which
// revision holds key K at revision R"; the rows themselves stay in the backend.

import { KeyIndex, type KeyAt } from './key_index.js';
import { SortedChunks } from './sorted_chunks.js';

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

export class TreeIndex {
  private map = new Map<string, KeyIndex>();
  private readonly ordered = new SortedChunks<KeyIndex>();

  /** Number of keys with any history (live or not yet compacted away). */
  get size(): number {
    return this.map.size;
  }

  keyIndex(key: string): KeyIndex | undefined {
    return this.map.get(key);
  }

  /** Inserts a KeyIndex for a key that has none yet. */
  insert(ki: KeyIndex): void {
    this.map.set(ki.key, ki);
    this.ordered.insert(ki);
  }

  /**
   * Startup: takes over a Map of every KeyIndex (built while scanning the rows) and orders it
   * once. Sorting the keys natively (default sort = UTF-16 code unit order = byte order for
   * latin1) and loading the sorted list is linear after the sort.
   */
  load(all: Map<string, KeyIndex>): void {
    this.map = all;
    const keys = [...all.keys()].sort();
    const sorted = new Array<KeyIndex>(keys.length);
    for (let i = 0; i < keys.length; i++) sorted[i] = all.get(keys[i]!)!;
    this.ordered.load(sorted);
  }

  get(key: string, atRev: number): KeyAt | undefined {
    return this.map.get(key)?.get(atRev);
  }

  put(key: string, main: number, sub: number): void {
    let ki = this.map.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.insert(ki);
    }
    ki.put(main, sub);
  }

  /** Tombstones a live key; false if it was not live. */
  tombstone(key: string, main: number, sub: number): boolean {
    const ki = this.map.get(key);
    return ki !== undefined && ki.tombstone(main, sub);
  }

  /** Calls fn for each KeyIndex in the span, in key order, until fn returns false. */
  visit(span: KeySpan, fn: (ki: KeyIndex) => boolean | void): void {
    if (span.end === undefined) {
      const ki = this.map.get(span.key);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (span.end !== '' && span.end <= span.key) return;
    this.ordered.forEachFrom(span.key, fn, span.end === '' ? undefined : span.end);
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
      if (limit <= 0 || revs.length < limit) {
        revs.push({ key: ki.key, modMain: at.modMain, modSub: at.modSub, createdMain: at.createdMain, version: at.version });
      }
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
    let done = 0;
    let resume: string | undefined;
    const emptied: string[] = [];
    this.ordered.forEachFrom(from, (ki) => {
      if (done >= maxKeys) {
        resume = ki.key;
        return false;
      }
      done++;
      ki.compact(atRev, available);
      if (ki.isEmpty()) emptied.push(ki.key);
      return true;
    });
    for (const k of emptied) {
      this.map.delete(k);
      this.ordered.delete(k);
    }
    return resume;
  }

  /** The revisions a compaction at atRev would keep (for hashKV), without changing anything. */
  keep(atRev: number): Set<string> {
    const available = new Set<string>();
    for (const ki of this.map.values()) ki.keep(atRev, available);
    return available;
  }

  clear(): void {
    this.map = new Map();
    this.ordered.clear();
  }
}
