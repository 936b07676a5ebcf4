// Safety invariants of Raft, checked incrementally as the simulation runs. Each check is
// O(work the simulation just did), so they can run after every step.
//
// - Election safety: at most one leader per term.
// - Log matching: an entry is identified by (index, term); every copy of it anywhere must
//   have the same content and the same previous term. By induction on the index, two logs
//   holding the same (index, term) are then identical up to that index.
// - Leader completeness: a new leader's log holds the highest entry known committed.
// - State machine safety: every member that applies index i applies the same entry and
//   reaches the same state digest (also across snapshots).
// - Linearizable reads: a ReadIndex answer is at least the highest commit index known
//   anywhere when the read was issued, and not beyond what has been committed since.

import type { Entry, NodeId } from '../../../src/raft/index.js';

export class Violation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Violation';
  }
}

interface EntryIdentity {
  term: number;
  prevTerm: number;
  contentHash: number;
}

function contentHash(e: Entry): number {
  let h = 0x811c9dc5 ^ e.type;
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
  return h >>> 0;
}

export interface ReadRecord {
  issuedAt: number;
  minIndex: number;
}

export class Checker {
  private leaders = new Map<number, NodeId>();
  /** index -> identities of the entries seen at that index (one per term). */
  private entries = new Map<number, EntryIdentity[]>();
  /** index -> term of the entry committed there. */
  private committedTerms = new Map<number, number>();
  /** Highest index any member has known to be committed. */
  maxCommitted = 0;
  /** index -> {term, digest} after applying that index. */
  private applied = new Map<number, { term: number; digest: number }>();
  private reads = new Map<string, ReadRecord>();
  readsChecked = 0;
  leadersElected = 0;

  onLeader(id: NodeId, term: number, lastIndex: number, termAt: (i: number) => number | null, firstIndex: number): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined) {
      if (prev !== id) throw new Violation(`election safety: ${prev} and ${id} both leader in term ${term}`);
      return;
    }
    this.leaders.set(term, id);
    this.leadersElected++;
    // Leader completeness: every entry known committed must be in the new leader's log.
    const c = this.maxCommitted;
    if (c === 0) return;
    if (lastIndex < c) {
      throw new Violation(`leader completeness: leader ${id} of term ${term} ends at ${lastIndex}, committed ${c}`);
    }
    if (c >= firstIndex - 1) {
      const t = termAt(c);
      if (t !== null && t !== this.committedTerms.get(c)) {
        throw new Violation(
          `leader completeness: leader ${id} of term ${term} has term ${t} at committed index ${c} (committed term ${this.committedTerms.get(c)})`,
        );
      }
    }
  }

  /** A member now stores `ents`; prevTermOf(i) is the term of its entry at i (before ents[0], from its log). */
  onEntriesStored(id: NodeId, ents: Entry[], termBefore: number | null): void {
    let prevTerm = termBefore;
    for (const e of ents) {
      const ident: EntryIdentity = { term: e.term, prevTerm: prevTerm ?? -1, contentHash: contentHash(e) };
      let list = this.entries.get(e.index);
      if (list === undefined) {
        list = [];
        this.entries.set(e.index, list);
      }
      const seen = list.find((x) => x.term === e.term);
      if (seen === undefined) {
        list.push(ident);
      } else {
        if (seen.contentHash !== ident.contentHash) {
          throw new Violation(`log matching: ${id} stores different content at index ${e.index} term ${e.term}`);
        }
        if (seen.prevTerm !== -1 && ident.prevTerm !== -1 && seen.prevTerm !== ident.prevTerm) {
          throw new Violation(
            `log matching: ${id} has entry ${e.index}@${e.term} after term ${ident.prevTerm}, elsewhere after ${seen.prevTerm}`,
          );
        }
      }
      prevTerm = e.term;
    }
  }

  /** A member's commit index is now `commit`; termAt reads its log. */
  onCommit(id: NodeId, commit: number, termAt: (i: number) => number | null): void {
    if (commit <= this.maxCommitted) {
      const known = this.committedTerms.get(commit);
      const t = termAt(commit);
      if (known !== undefined && t !== null && known !== t) {
        throw new Violation(`state machine safety: ${id} committed ${commit}@${t}, elsewhere ${commit}@${known}`);
      }
      return;
    }
    for (let i = this.maxCommitted + 1; i <= commit; i++) {
      const t = termAt(i);
      if (t !== null) this.committedTerms.set(i, t);
    }
    this.maxCommitted = commit;
  }

  onApply(id: NodeId, e: Entry, digest: number): void {
    const known = this.committedTerms.get(e.index);
    if (known !== undefined && known !== e.term) {
      throw new Violation(`state machine safety: ${id} applied ${e.index}@${e.term}, but ${e.index}@${known} was committed`);
    }
    const prev = this.applied.get(e.index);
    if (prev === undefined) {
      this.applied.set(e.index, { term: e.term, digest });
    } else if (prev.term !== e.term || prev.digest !== digest) {
      throw new Violation(
        `state machine safety: ${id} applied ${e.index}@${e.term} digest ${digest}, elsewhere ${e.index}@${prev.term} digest ${prev.digest}`,
      );
    }
  }

  onSnapshotInstalled(id: NodeId, index: number, term: number, digest: number): void {
    const prev = this.applied.get(index);
    if (prev === undefined) {
      this.applied.set(index, { term, digest });
    } else if (prev.term !== term || prev.digest !== digest) {
      throw new Violation(`state machine safety: ${id} installed snapshot ${index}@${term} with a different state`);
    }
  }

  onReadIssued(ctx: string, now: number): void {
    this.reads.set(ctx, { issuedAt: now, minIndex: this.maxCommitted });
  }

  onReadDropped(ctx: string): void {
    this.reads.delete(ctx);
  }

  /** A ReadIndex answer arrived. Returns false if it was a duplicate (already checked). */
  onReadState(id: NodeId, ctx: string, index: number): boolean {
    const r = this.reads.get(ctx);
    if (r === undefined) return false;
    this.reads.delete(ctx);
    if (index < r.minIndex) {
      throw new Violation(
        `linearizability: read ${JSON.stringify(ctx)} on ${id} got index ${index}, but ${r.minIndex} was committed before it was issued`,
      );
    }
    if (index > this.maxCommitted) {
      throw new Violation(`linearizability: read on ${id} got index ${index} beyond anything committed (${this.maxCommitted})`);
    }
    this.readsChecked++;
    return true;
  }

  appliedCount(): number {
    return this.applied.size;
  }
}
