// The history of one key: etcd's keyIndex. A key lives through generations; each generation
// starts at a creation and holds the revisions of its modifications; a delete (tombstone) is the
// last revision of its generation and opens a new, empty one. Example: put@1 put@2 del@3 put@5
// gives generations [{1.0, 2.0, 3.0(t)}, {5.0}].
//
// Keys are latin1 strings, not Buffers: a latin1 string maps each byte to one UTF-16 code unit
// 0..255, so JS string comparison (<) is exactly bytewise (memcmp + shorter-first) order, V8
// stores them one byte per char, and Map/B-tree lookups hash and compare them natively. They
// are only an in-memory index representation: every key entering or leaving mvcc/ is bytes,
// and conversions are Buffer.toString('latin1') / Buffer.from(s, 'latin1'), both lossless.

import { revKey } from './revision.js';

export class Generation {
  /** Number of modifications in this generation (version of the key at its newest revision). */
  ver = 0;
  createdMain = 0;
  createdSub = 0;
  /** Revisions oldest first, flattened as [main0, sub0, main1, sub1, ...] to save objects. */
  revs: number[] = [];

  get length(): number {
    return this.revs.length >> 1;
  }

  isEmpty(): boolean {
    return this.revs.length === 0;
  }

  main(i: number): number {
    return this.revs[2 * i]!;
  }

  sub(i: number): number {
    return this.revs[2 * i + 1]!;
  }

  /** Index of the newest revision with main <= atRev, or -1 (binary search: revs are sorted). */
  newestAtOrBefore(atRev: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.main(mid) <= atRev) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/** What a key looked like at some revision. */
export interface KeyAt {
  modMain: number;
  modSub: number;
  createdMain: number;
  version: number;
}

export class KeyIndex {
  modMain = 0;
  modSub = 0;
  gens: Generation[] = [];

  constructor(readonly key: string) {}

  /** Records a modification at (main, sub), which must be newer than every recorded one. */
  put(main: number, sub: number): void {
    if (main < this.modMain || (main === this.modMain && sub <= this.modSub)) {
      throw new Error(`mvcc: put at ${main}.${sub} is not after ${this.modMain}.${this.modSub}`);
    }
    if (this.gens.length === 0) this.gens.push(new Generation());
    const g = this.gens[this.gens.length - 1]!;
    if (g.isEmpty()) {
      g.createdMain = main;
      g.createdSub = sub;
    }
    g.revs.push(main, sub);
    g.ver++;
    this.modMain = main;
    this.modSub = sub;
  }

  /** Startup: the oldest surviving row of a key seeds its index with the row's own metadata. */
  restore(createdMain: number, modMain: number, modSub: number, version: number): void {
    if (this.gens.length !== 0) throw new Error('mvcc: restore on a non-empty keyIndex');
    const g = new Generation();
    g.createdMain = createdMain;
    g.ver = version;
    g.revs.push(modMain, modSub);
    this.gens.push(g);
    this.modMain = modMain;
    this.modSub = modSub;
  }

  /** Ends the current generation with a tombstone; false if the key is not live. */
  tombstone(main: number, sub: number): boolean {
    const last = this.gens[this.gens.length - 1];
    if (last === undefined || last.isEmpty()) return false;
    this.put(main, sub);
    this.gens.push(new Generation());
    return true;
  }

  isEmpty(): boolean {
    return this.gens.length === 1 && this.gens[0]!.isEmpty();
  }

  /** The live generation at revision `rev`, or undefined if the key did not exist then. */
  private findGeneration(rev: number): Generation | undefined {
    const last = this.gens.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.gens[i]!;
      if (g.isEmpty()) continue;
      // A closed generation ends with its tombstone: at or after it the key is gone.
      if (i !== last && g.main(g.length - 1) <= rev) return undefined;
      if (g.main(0) <= rev) return g;
    }
    return undefined;
  }

  /** The key's state at revision atRev, or undefined if it did not exist (or was deleted) then. */
  get(atRev: number): KeyAt | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    const n = g.newestAtOrBefore(atRev);
    if (n === -1) return undefined;
    return { modMain: g.main(n), modSub: g.sub(n), createdMain: g.createdMain, version: g.ver - (g.length - n - 1) };
  }

  /**
   * Shared by compact and keep: skip generations that ended (tombstone) at or before atRev, then
   * in the first remaining one find the newest revision <= atRev and add it to `available`.
   */
  private doCompact(atRev: number, available: Set<string>): [genIdx: number, revIdx: number] {
    let genIdx = 0;
    let g = this.gens[0]!;
    while (genIdx < this.gens.length - 1) {
      if (g.main(g.length - 1) > atRev) break;
      genIdx++;
      g = this.gens[genIdx]!;
    }
    const revIdx = g.newestAtOrBefore(atRev);
    if (revIdx !== -1) available.add(revKey(g.main(revIdx), g.sub(revIdx)));
    return [genIdx, revIdx];
  }

  /**
   * Drops every revision <= atRev except the newest such one, unless that one is a tombstone;
   * generations that end at or before atRev go entirely. The kept revision goes into
   * `available` (the backend rows that compaction must not delete).
   */
  compact(atRev: number, available: Set<string>): void {
    let [genIdx, revIdx] = this.doCompact(atRev, available);
    const g = this.gens[genIdx]!;
    if (!g.isEmpty()) {
      if (revIdx > 0) g.revs = g.revs.slice(2 * revIdx);
      // A closed generation reduced to one revision holds only its tombstone: drop it too.
      if (g.length === 1 && genIdx !== this.gens.length - 1) {
        available.delete(revKey(g.main(0), g.sub(0)));
        genIdx++;
      }
    }
    if (genIdx > 0) this.gens = this.gens.slice(genIdx);
  }

  /** Adds to `available` the revision compact(atRev) would keep, without changing anything. */
  keep(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) return;
    const [genIdx, revIdx] = this.doCompact(atRev, available);
    const g = this.gens[genIdx]!;
    if (!g.isEmpty() && revIdx === g.length - 1 && genIdx !== this.gens.length - 1) {
      available.delete(revKey(g.main(revIdx), g.sub(revIdx)));
    }
  }
}
