// The history of one key: etcd's keyIndex. A key lives through generations; each generation
// starts at a creation and holds the revisions of its modifications; a delete (tombstone) is the
// last revision of its generation and opens a new, empty one. Example: put@1 put@2 del@3 put@5
// gives generations [{1.0, 2.0, 3.0(t)}, {5.0}].
//
// Memory layout: a store holds millions of these, and startup time is dominated by allocating
// them, so the CURRENT generation lives inline in the KeyIndex (a KeyIndex is itself a GenLike)
// and only closed generations get their own objects (`older`, usually absent). Revisions are
// flattened as [main0, sub0, main1, sub1, ...].
//
// Keys are latin1 strings, not Buffers: a latin1 string maps each byte to one UTF-16 code unit
// 0..255, so JS string comparison (<) is exactly bytewise (memcmp + shorter-first) order, V8
// stores them one byte per char, and Map/B-tree lookups hash and compare them natively. They
// are only an in-memory index representation: every key entering or leaving mvcc/ is bytes,
// and conversions are Buffer.toString('latin1') / Buffer.from(s, 'latin1'), both lossless.

import { revKey } from './revision.js';

/** One generation: its version count, creation revision and revisions (oldest first). */
export interface GenLike {
  ver: number;
  createdMain: number;
  createdSub: number;
  revs: number[];
}

/** A closed (tombstoned) generation. */
class Generation implements GenLike {
  constructor(
    public ver: number,
    public createdMain: number,
    public createdSub: number,
    public revs: number[],
  ) {}
}

// The revisions of an empty generation. Frozen and shared: put() replaces it with an exact-size
// array literal instead of pushing (a push onto [] would reserve ~17 slots, which for a
// million single-revision keys is most of the index's memory).
const NO_REVS: number[] = Object.freeze([]) as unknown as number[];

const genLength = (g: GenLike): number => g.revs.length >> 1;
const genMain = (g: GenLike, i: number): number => g.revs[2 * i]!;
const genSub = (g: GenLike, i: number): number => g.revs[2 * i + 1]!;

/** Index of the newest revision of g with main <= atRev, or -1 (binary search: revs are sorted). */
function newestAtOrBefore(g: GenLike, atRev: number): number {
  let lo = 0;
  let hi = genLength(g) - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (genMain(g, mid) <= atRev) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** What a key looked like at some revision. */
export interface KeyAt {
  modMain: number;
  modSub: number;
  createdMain: number;
  version: number;
}

export class KeyIndex implements GenLike {
  modMain = 0;
  modSub = 0;
  // The current (last) generation, inline.
  ver = 0;
  createdMain = 0;
  createdSub = 0;
  revs: number[] = NO_REVS;
  /** Closed generations, oldest first; undefined when there are none (the common case). */
  older: Generation[] | undefined = undefined;

  constructor(readonly key: string) {}

  private get genCount(): number {
    return (this.older?.length ?? 0) + 1;
  }

  private gen(i: number): GenLike {
    const older = this.older;
    return older !== undefined && i < older.length ? older[i]! : this;
  }

  /** Records a modification at (main, sub), which must be newer than every recorded one. */
  put(main: number, sub: number): void {
    if (main < this.modMain || (main === this.modMain && sub <= this.modSub)) {
      throw new Error(`mvcc: put at ${main}.${sub} is not after ${this.modMain}.${this.modSub}`);
    }
    if (this.revs.length === 0) {
      this.createdMain = main;
      this.createdSub = sub;
      this.revs = [main, sub];
    } else {
      this.revs.push(main, sub);
    }
    this.ver++;
    this.modMain = main;
    this.modSub = sub;
  }

  /** Startup: the oldest surviving row of a key seeds its index with the row's own metadata. */
  restore(createdMain: number, modMain: number, modSub: number, version: number): void {
    if (!this.isEmpty()) throw new Error('mvcc: restore on a non-empty keyIndex');
    this.createdMain = createdMain;
    this.createdSub = 0;
    this.ver = version;
    this.revs = [modMain, modSub];
    this.modMain = modMain;
    this.modSub = modSub;
  }

  /** Ends the current generation with a tombstone; false if the key is not live. */
  tombstone(main: number, sub: number): boolean {
    if (this.revs.length === 0) return false;
    this.put(main, sub);
    (this.older ??= []).push(new Generation(this.ver, this.createdMain, this.createdSub, this.revs));
    this.ver = 0;
    this.createdMain = 0;
    this.createdSub = 0;
    this.revs = NO_REVS;
    return true;
  }

  /** No history left: only an empty current generation. */
  isEmpty(): boolean {
    return this.revs.length === 0 && (this.older === undefined || this.older.length === 0);
  }

  /** The live generation at revision `rev`, or undefined if the key did not exist then. */
  private findGeneration(rev: number): GenLike | undefined {
    const last = this.genCount - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.gen(i);
      const n = genLength(g);
      if (n === 0) continue;
      // A closed generation ends with its tombstone: at or after it the key is gone.
      if (i !== last && genMain(g, n - 1) <= rev) return undefined;
      if (genMain(g, 0) <= rev) return g;
    }
    return undefined;
  }

  /** The key's state at revision atRev, or undefined if it did not exist (or was deleted) then. */
  get(atRev: number): KeyAt | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    const n = newestAtOrBefore(g, atRev);
    if (n === -1) return undefined;
    return { modMain: genMain(g, n), modSub: genSub(g, n), createdMain: g.createdMain, version: g.ver - (genLength(g) - n - 1) };
  }

  /**
   * Shared by compact and keep: skip generations that ended (tombstone) at or before atRev, then
   * in the first remaining one find the newest revision <= atRev and add it to `available`.
   */
  private doCompact(atRev: number, available: Set<string>): [genIdx: number, revIdx: number] {
    const last = this.genCount - 1;
    let genIdx = 0;
    let g = this.gen(0);
    while (genIdx < last) {
      if (genMain(g, genLength(g) - 1) > atRev) break;
      genIdx++;
      g = this.gen(genIdx);
    }
    const revIdx = newestAtOrBefore(g, atRev);
    if (revIdx !== -1) available.add(revKey(genMain(g, revIdx), genSub(g, revIdx)));
    return [genIdx, revIdx];
  }

  /**
   * Drops every revision <= atRev except the newest such one, unless that one is a tombstone;
   * generations that end at or before atRev go entirely. The kept revision goes into
   * `available` (the backend rows that compaction must not delete).
   */
  compact(atRev: number, available: Set<string>): void {
    const last = this.genCount - 1;
    let [genIdx, revIdx] = this.doCompact(atRev, available);
    const g = this.gen(genIdx);
    if (g.revs.length > 0) {
      if (revIdx > 0) g.revs = g.revs.slice(2 * revIdx);
      // A closed generation reduced to one revision holds only its tombstone: drop it too.
      if (genLength(g) === 1 && genIdx !== last) {
        available.delete(revKey(genMain(g, 0), genSub(g, 0)));
        genIdx++;
      }
    }
    if (genIdx > 0 && this.older !== undefined) {
      this.older = genIdx >= this.older.length ? undefined : this.older.slice(genIdx);
    }
  }

  /** Adds to `available` the revision compact(atRev) would keep, without changing anything. */
  keep(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) return;
    const [genIdx, revIdx] = this.doCompact(atRev, available);
    const g = this.gen(genIdx);
    if (g.revs.length > 0 && revIdx === genLength(g) - 1 && genIdx !== this.genCount - 1) {
      available.delete(revKey(genMain(g, revIdx), genSub(g, revIdx)));
    }
  }
}
