// The caller-facing API: feed inputs in, take a Ready out, persist/send/apply it, then
// advance(). This is etcd's RawNode. The persistence contract (docs/raft.md):
//
//   1. Write rd.snapshot (if any), then rd.entries, then rd.hardState to stable storage.
//      If rd.mustSync, fsync before step 3.
//   2. Messages in rd.messages may be sent only after step 1 is durable -- with one
//      exception: a leader's MsgApp may be sent in parallel with its own write (etcd does
//      the same). That is safe because the leader counts its own copy toward commit only
//      after advance() reports it durable, so the commit index such a message carries
//      never covers entries that exist only in the leader's unsynced write. Everything
//      else (votes, append acks) promises durable state and must wait.
//   3. Apply rd.committedEntries in order (calling applyConfChange for conf changes),
//      serve rd.readStates once applied >= their index.
//   4. Call advance(rd). Do not call ready() again before that.
//
// On restart, build a Storage holding exactly what was durable (snapshot, entries,
// hard state) and pass `applied` = the index the state machine has durably applied. The
// core rebuilds membership from the snapshot's ConfState plus the conf change entries up
// to `applied`; later committed entries come out of ready() again, conf changes included,
// and must be passed to applyConfChange as usual.

import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateRole,
  hardStateEqual,
  isLocalMessage,
  isResponseMessage,
  message,
} from './types.js';
import { Raft } from './raft.js';
import type { RaftConfig } from './config.js';
import { encodeConfChange } from './codec.js';
import { ProposalDroppedError } from './errors.js';
import { PROGRESS_STATE_NAMES } from './progress.js';

export interface Ready {
  /** Changed leader/role since the last Ready, else null. Not persisted. */
  softState: SoftState | null;
  /** Changed hard state to persist, else null. */
  hardState: HardState | null;
  /** Confirmed linearizable reads. */
  readStates: ReadState[];
  /** Entries to append to stable storage (may overwrite a conflicting suffix). */
  entries: Entry[];
  /** Snapshot to persist and install in the state machine, else null. */
  snapshot: Snapshot | null;
  /** Entries committed and ready to apply, in order. */
  committedEntries: Entry[];
  /** Messages to send, after persisting (see the contract above). */
  messages: Message[];
  /** Whether hardState/entries must be fsynced (term/vote changed or new entries). */
  mustSync: boolean;
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: string;
  isLearner: boolean;
  recentActive: boolean;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: NodeId;
  /** Only on the leader: its view of every member. */
  progress: Map<NodeId, ProgressStatus>;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    // A restarted node's hard state is already on disk; do not hand it back unchanged.
    this.prevHardState = config.storage.initialState().hardState;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (skips the election timeout; still runs pre-vote if enabled). */
  campaign(): void {
    this.raft.step(message({ type: MessageType.Hup }));
  }

  /** Proposes data to be appended to the log. Throws ProposalDroppedError if no leader is known. */
  propose(data: Uint8Array): void {
    if (!this.tryPropose(data)) throw new ProposalDroppedError('no leader, leader transfer in progress, or node removed');
  }

  /** Like propose(), but returns false instead of throwing (cheaper in hot loops). */
  tryPropose(data: Uint8Array): boolean {
    return this.raft.step(message({
      type: MessageType.Prop,
      from: this.raft.id,
      entries: [{ term: 0, index: 0, type: EntryType.Normal, data }],
    }));
  }

  /** Proposes a membership change. At most one may be pending; extras become no-ops. */
  proposeConfChange(cc: ConfChange): void {
    const ok = this.raft.step(message({
      type: MessageType.Prop,
      from: this.raft.id,
      entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }],
    }));
    if (!ok) throw new ProposalDroppedError('no leader, leader transfer in progress, or node removed');
  }

  /** Applies a committed conf change; call it when applying the entry, before advance(). */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message received from a peer. Local-only message types are rejected. */
  step(m: Message): void {
    if (isLocalMessage(m.type)) throw new RangeError('raft: cannot step raft local message');
    // Responses from members we do not know (e.g. just removed) carry nothing we can use.
    if (isResponseMessage(m.type) && !this.raft.prs.progress.has(m.from) && m.type !== MessageType.ReadIndexResp) return;
    this.raft.step(m);
  }

  /**
   * Requests a linearizable read. `ctx` must be unique among outstanding reads; when it is
   * confirmed, a ReadState with this ctx appears in a Ready. Throws ProposalDroppedError
   * if no leader is known (the caller retries).
   */
  readIndex(ctx: Uint8Array): void {
    if (!this.tryReadIndex(ctx)) throw new ProposalDroppedError('no leader to serve read index');
  }

  /** Like readIndex(), but returns false instead of throwing. */
  tryReadIndex(ctx: Uint8Array): boolean {
    return this.raft.step(message({ type: MessageType.ReadIndex, context: ctx }));
  }

  /** Asks the leader to hand leadership to `transferee` (MoveLeader). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(message({ type: MessageType.TransferLeader, from: transferee }));
  }

  /** The transport could not reach `id`: stop pipelining to it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id }));
  }

  /** Outcome of sending a MsgSnap to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    // Field by field rather than via softState()/hardState(): this is polled constantly.
    const ps = this.prevSoftState;
    if (r.lead !== ps.leader || r.state !== ps.role) return true;
    const ph = this.prevHardState;
    if (r.term !== ph.term || r.vote !== ph.vote || r.raftLog.committed !== ph.commit) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.raftLog.hasNextEnts()) return true;
    if (r.readStates.length > 0 || r.hasPendingReadBroadcast()) return true;
    return false;
  }

  /** Collects everything to persist, send and apply. Call advance(rd) when done with it. */
  ready(): Ready {
    const r = this.raft;
    // One heartbeat round for all reads queued since the last Ready (ReadIndex batching).
    r.flushReadIndexBroadcast();
    const ss = r.softState();
    const hs = r.hardState();
    const softChanged = ss.leader !== this.prevSoftState.leader || ss.role !== this.prevSoftState.role;
    const hardChanged = !hardStateEqual(hs, this.prevHardState);
    const entries = r.raftLog.unstableEntries().slice();
    const rd: Ready = {
      softState: softChanged ? ss : null,
      hardState: hardChanged ? hs : null,
      readStates: r.readStates,
      entries,
      snapshot: r.raftLog.hasPendingSnapshot() ? r.raftLog.unstable.snapshot : null,
      committedEntries: r.raftLog.nextEnts(),
      messages: r.msgs,
      mustSync: entries.length > 0 || hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.prevSoftState = ss;
    if (hardChanged) this.prevHardState = hs;
    return rd;
  }

  /** Tells the core that rd was persisted and its committed entries applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    // An installed snapshot is applied state too (its entries will never be handed out).
    if (rd.snapshot !== null && rd.snapshot.metadata.index > r.raftLog.applied) r.raftLog.appliedTo(rd.snapshot.metadata.index);
    if (rd.committedEntries.length > 0) r.raftLog.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
      // Only now may a leader count its own copy toward commit.
      r.onEntriesStable(r.raftLog.lastStableIndex());
    }
    if (rd.snapshot !== null) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    if (r.state === StateRole.Leader) {
      r.prs.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: PROGRESS_STATE_NAMES[pr.state]!,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        });
      });
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      progress,
    };
  }
}

/**
 * Whether a message of a Ready may be sent before that Ready's writes are durable: only a
 * leader's appends (see the persistence contract at the top of this file). Use the role
 * from the RawNode at the time the Ready was taken.
 */
export function sendableBeforePersist(m: Message, senderIsLeader: boolean): boolean {
  return senderIsLeader && m.type === MessageType.App;
}

/** Convenience: the ConfChange for adding a voter / learner, or removing a member. */
export function confChange(type: ConfChangeType, nodeId: NodeId, context: Uint8Array = new Uint8Array(0)): ConfChange {
  return { type, nodeId, context };
}
