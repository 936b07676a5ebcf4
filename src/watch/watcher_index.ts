// Which watchers watch a key? Asked once per event for every synced watcher, so it must not
// scan all watchers: single-key watchers sit in a Map by key; range watchers are grouped by
// their exact range (10,000 watchers on one prefix are ONE range entry) and the distinct ranges
// form a static interval tree, rebuilt lazily after watchers come or go.

import type { KeyRange } from './key_range.js';

export interface Ranged {
  readonly range: KeyRange;
}

interface RangeEntry<W> {
  start: string;
  end: string;
  members: Set<W>;
}

export class WatcherIndex<W extends Ranged> {
  private readonly byKey = new Map<string, Set<W>>();
  private readonly byRange = new Map<string, RangeEntry<W>>();
  /** Distinct ranges sorted by start; maxEnd[i] is the largest end in the implicit subtree at i. */
  private sorted: RangeEntry<W>[] = [];
  private maxEnd: string[] = [];
  private dirty = false;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: W): void {
    const { start, end } = w.range;
    if (end === undefined) {
      let set = this.byKey.get(start);
      if (set === undefined) this.byKey.set(start, (set = new Set()));
      set.add(w);
    } else {
      const id = rangeId(start, end);
      let e = this.byRange.get(id);
      if (e === undefined) {
        this.byRange.set(id, (e = { start, end, members: new Set() }));
        this.dirty = true;
      }
      e.members.add(w);
    }
    this.count++;
  }

  /** Returns false if w was not in the index. */
  delete(w: W): boolean {
    const { start, end } = w.range;
    if (end === undefined) {
      const set = this.byKey.get(start);
      if (set === undefined || !set.delete(w)) return false;
      if (set.size === 0) this.byKey.delete(start);
    } else {
      const id = rangeId(start, end);
      const e = this.byRange.get(id);
      if (e === undefined || !e.members.delete(w)) return false;
      if (e.members.size === 0) {
        this.byRange.delete(id);
        this.dirty = true;
      }
    }
    this.count--;
    return true;
  }

  /** Calls fn for every watcher whose range contains key. */
  forEachMatch(key: string, fn: (w: W) => void): void {
    const set = this.byKey.get(key);
    if (set !== undefined) for (const w of set) fn(w);
    if (this.byRange.size === 0) return;
    if (this.dirty) this.rebuild();
    this.stab(0, this.sorted.length - 1, key, fn);
  }

  /** True if some watcher's range contains key. */
  hasMatch(key: string): boolean {
    if (this.byKey.has(key)) return true;
    if (this.byRange.size === 0) return false;
    if (this.dirty) this.rebuild();
    let found = false;
    // Ranges are few (grouped); a full stab is cheap and keeps one query path.
    this.stab(0, this.sorted.length - 1, key, () => (found = true));
    return found;
  }

  *[Symbol.iterator](): Generator<W> {
    for (const set of this.byKey.values()) yield* set;
    for (const e of this.byRange.values()) yield* e.members;
  }

  /** Number of distinct range entries (for tests and memory reports). */
  get distinctRanges(): number {
    return this.byRange.size;
  }

  private stab(lo: number, hi: number, key: string, fn: (w: W) => void): void {
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      // Nothing in this subtree ends after key: no range here contains it.
      if (this.maxEnd[mid]! <= key) return;
      this.stab(lo, mid - 1, key, fn);
      const e = this.sorted[mid]!;
      // mid and everything right of it start after key.
      if (e.start > key) return;
      if (key < e.end) for (const w of e.members) fn(w);
      lo = mid + 1;
    }
  }

  private rebuild(): void {
    this.sorted = [...this.byRange.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.maxEnd = new Array<string>(this.sorted.length);
    this.fillMaxEnd(0, this.sorted.length - 1);
    this.dirty = false;
  }

  private fillMaxEnd(lo: number, hi: number): string {
    if (lo > hi) return '';
    const mid = (lo + hi) >>> 1;
    let m = this.sorted[mid]!.end;
    const l = this.fillMaxEnd(lo, mid - 1);
    const r = this.fillMaxEnd(mid + 1, hi);
    if (l > m) m = l;
    if (r > m) m = r;
    this.maxEnd[mid] = m;
    return m;
  }
}

function rangeId(start: string, end: string): string {
  // Length-prefixed so that no two (start, end) pairs share an id.
  return `${start.length}:${start}${end}`;
}

