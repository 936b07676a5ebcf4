// One simulated member: a RawNode plus the driver around it that an etcd server would
// have -- persist the Ready (to the simulated disk, with a possible crash before fsync),
// send messages, apply committed entries to the state machine, take snapshots, advance.

import {
  type ConfState,
  ConfChangeType,
  type Entry,
  EntryType,
  type Message,
  type NodeId,
  type RaftMutations,
  RawNode,
  type Ready,
  Sfc32,
  StateRole,
  STATE_ROLE_NAMES,
  MemoryStorage,
  decodeConfChange,
  sendableBeforePersist,
} from '../../../src/raft/index.js';
import { Disk } from './disk.js';
import { decodeAppState, encodeAppState, mixDigest, valueKey } from './statemachine.js';
import type { Checker } from './checker.js';

/** What a member needs from the world around it. */
export interface NodeEnv {
  readonly rng: Sfc32;
  readonly checker: Checker;
  now(): number;
  /** False once the world heals: no more crashes. */
  faultsEnabled(): boolean;
  send(m: Message): void;
  /** A conf change adding `id` was applied somewhere: make sure that member exists. */
  ensureMember(id: NodeId): void;
  onValueApplied(key: string): void;
  onReadState(node: SimNode, ctx: string, index: number): void;
  trace(line: string): void;
}

export interface NodeParams {
  electionTick: number;
  heartbeatTick: number;
  checkQuorum: boolean;
  preVote: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxCommittedSizePerReady: number;
  /** Chance per time unit that this member's clock ticks (clock skew). */
  tickChance: number;
  /** Chance that a Ready is interrupted by a crash between write and fsync. */
  crashInReadyChance: number;
  /** Take a snapshot once this many entries were applied since the last one. */
  snapshotEvery: number;
  mutations?: RaftMutations;
  /** TEST-ONLY: break the persistence contract by sending everything before the fsync. */
  sendBeforeFsync: boolean;
}

export class SimNode {
  readonly id: NodeId;
  readonly disk: Disk;
  alive = false;
  raw: RawNode | null = null;
  storage: MemoryStorage | null = null;
  /** State machine. */
  digest = 0;
  applied = 0;
  removedPeers = new Set<NodeId>();
  /** This member applied its own removal; the world stops it after a grace period. */
  removedSelfAt = -1;
  /** Shut down for good (it was removed and the cluster moved on without it). */
  stopped = false;
  restarts = 0;
  private lastSnapshotIndex = 0;

  constructor(id: NodeId, bootstrap: ConfState | null, private readonly params: NodeParams, private readonly env: NodeEnv) {
    this.id = id;
    this.disk = new Disk(bootstrap);
  }

  get tickChance(): number {
    return this.params.tickChance;
  }

  /** (Re)starts from exactly what is on disk. */
  start(): void {
    const p = this.params;
    this.storage = this.disk.load();
    const snap = this.disk.snapshot;
    const app = decodeAppState(snap.data);
    this.digest = app.digest;
    this.removedPeers = new Set(app.removed);
    this.applied = snap.metadata.index;
    this.lastSnapshotIndex = snap.metadata.index;
    this.removedSelfAt = -1; // a new incarnation notices its removal again when it replays it
    this.raw = new RawNode({
      id: this.id,
      electionTick: p.electionTick,
      heartbeatTick: p.heartbeatTick,
      storage: this.storage,
      applied: this.applied,
      checkQuorum: p.checkQuorum,
      preVote: p.preVote,
      maxSizePerMsg: p.maxSizePerMsg,
      maxInflightMsgs: p.maxInflightMsgs,
      maxCommittedSizePerReady: p.maxCommittedSizePerReady,
      rand: new Sfc32(this.env.rng.nextUint32() * 0x100000 + this.env.rng.intn(0x100000)),
      mutations: p.mutations,
    });
    this.alive = true;
    this.env.trace(`${this.id} start term=${this.disk.hardState.term} last=${this.disk.lastIndex()} snap=${snap.metadata.index}`);
  }

  crash(): void {
    this.alive = false;
    this.raw = null;
    this.storage = null;
    this.env.trace(`${this.id} crash`);
  }

  isLeader(): boolean {
    return this.raw !== null && this.raw.raft.state === StateRole.Leader;
  }

  /** After any input: check leadership invariants, then drain Ready batches. */
  afterInput(): void {
    if (!this.alive) return;
    this.checkLeader();
    // Each Ready is followed by advance(); more than a few in a row would mean a bug.
    for (let i = 0; i < 16 && this.alive && this.raw!.hasReady(); i++) {
      this.handleReady(this.raw!.ready());
      if (this.alive) this.checkLeader();
    }
  }

  private checkLeader(): void {
    const r = this.raw!.raft;
    if (r.state !== StateRole.Leader) return;
    this.env.checker.onLeader(r.id, r.term, r.raftLog.lastIndex(), (i) => r.raftLog.termOrNull(i), r.raftLog.firstIndex());
  }

  private handleReady(rd: Ready): void {
    const env = this.env;
    const storage = this.storage!;
    const raw = this.raw!;
    if (rd.softState) env.trace(`${this.id} becomes ${STATE_ROLE_NAMES[rd.softState.role]} term=${raw.raft.term} lead=${rd.softState.leader}`);

    // 1. Write (to the page cache: visible to this process, not yet durable).
    if (rd.snapshot) storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      let before: number | null = null;
      try {
        before = storage.term(first - 1);
      } catch {
        before = null;
      }
      storage.append(rd.entries);
      env.checker.onEntriesStored(this.id, rd.entries, before);
    }
    if (rd.hardState) storage.setHardState(rd.hardState);

    // A leader may ship its appends while its own fsync runs (etcd does); nothing else may leave yet.
    const leaderNow = raw.raft.state === StateRole.Leader;
    const isEarly = (m: Message): boolean => this.params.sendBeforeFsync || sendableBeforePersist(m, leaderNow);
    for (const m of rd.messages) if (isEarly(m)) env.send(m);

    // 2. Crash before fsync: the disk keeps at most a torn prefix of the new entries.
    if (this.params.crashInReadyChance > 0 && env.faultsEnabled() && env.rng.chance(this.params.crashInReadyChance)) {
      if (rd.snapshot === null && rd.entries.length > 0 && env.rng.chance(0.5)) {
        const kept = rd.entries.slice(0, env.rng.intn(rd.entries.length + 1));
        this.disk.append(kept);
        env.trace(`${this.id} torn write kept ${kept.length}/${rd.entries.length} entries`);
      }
      this.crash();
      return;
    }

    // 3. fsync.
    if (rd.snapshot) this.disk.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0) this.disk.append(rd.entries);
    if (rd.hardState) {
      this.disk.setHardState(rd.hardState);
      // Only now is the commit durable here; a leader's in-memory commit that dies with it
      // before this point was never released to anyone.
      env.checker.onCommit(this.id, rd.hardState.commit, (i) => raw.raft.raftLog.termOrNull(i));
    }

    // 4. Now everything else may be sent.
    for (const m of rd.messages) if (!isEarly(m)) env.send(m);

    // 5. Apply.
    if (rd.snapshot) {
      const app = decodeAppState(rd.snapshot.data);
      this.digest = app.digest;
      this.removedPeers = new Set(app.removed);
      this.applied = rd.snapshot.metadata.index;
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
      env.checker.onSnapshotInstalled(this.id, rd.snapshot.metadata.index, rd.snapshot.metadata.term, this.digest);
    }
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) env.onReadState(this, valueKey(rs.requestCtx), rs.index);

    raw.advance(rd);
    this.maybeSnapshot();
  }

  private apply(e: Entry): void {
    if (e.index <= this.applied) return; // already covered by a snapshot
    if (e.index !== this.applied + 1) throw new Error(`${this.id} applies ${e.index} after ${this.applied}`);
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.raw!.applyConfChange(cc);
      this.env.trace(`${this.id} applies ${ConfChangeType[cc.type]} ${cc.nodeId} at ${e.index}`);
      if (cc.type === ConfChangeType.RemoveNode) {
        this.removedPeers.add(cc.nodeId);
        if (cc.nodeId === this.id) this.markRemovedSelf();
      } else if (cc.type === ConfChangeType.AddNode || cc.type === ConfChangeType.AddLearnerNode) {
        this.env.ensureMember(cc.nodeId);
      }
    } else if (e.data.length > 0) {
      this.env.onValueApplied(valueKey(e.data));
    }
    this.digest = mixDigest(this.digest, e);
    this.applied = e.index;
    this.env.checker.onApply(this.id, e, this.digest);
  }

  private markRemovedSelf(): void {
    if (this.removedSelfAt < 0) this.removedSelfAt = this.env.now();
  }

  /** Log compaction: snapshot the state machine and release entries, like --snapshot-count. */
  private maybeSnapshot(): void {
    if (this.applied - this.lastSnapshotIndex < this.params.snapshotEvery) return;
    const storage = this.storage!;
    const cs = this.raw!.raft.prs.confState();
    const data = encodeAppState({ digest: this.digest, removed: [...this.removedPeers] });
    const snap = storage.createSnapshot(this.applied, cs, data);
    // Keep a few entries behind the snapshot so slightly lagging followers avoid a snapshot.
    const keep = this.env.rng.intn(4);
    const compactTo = Math.max(this.applied - keep, storage.firstIndex());
    if (compactTo > storage.firstIndex() - 1 && compactTo <= this.applied) storage.compact(compactTo);
    this.disk.saveLocalSnapshot(snap);
    this.lastSnapshotIndex = this.applied;
  }
}
