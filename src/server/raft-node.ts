// The node driver: runs the pure Raft core (src/raft) against real time, the WAL and the peer
// transport, and hands committed entries to the server's apply loop. It implements the same
// Consensus seam as the single-member log, plus what a cluster needs (ReadIndex, membership
// changes, leader transfer).
//
// One Ready at a time (the core's contract), processed as etcd's raftNode does:
//   1. a leader sends its appends at once, in parallel with its own disk write;
//   2. the new entries and hard state go to the WAL; the fsync starts;
//   3. while the disk flushes, the entries committed earlier (already durable) are applied;
//   4. once durable, the rest of the messages (votes, acks) are sent and the Ready advanced.
// Proposals made during a fsync pile up in the core and leave in the next Ready, so writes are
// group-committed without any timer.
import {
  type ConfChange,
  type Entry,
  EntryType,
  MemoryStorage,
  type Message,
  RawNode,
  type Ready,
  Sfc32,
  type Snapshot,
  StateRole,
  bootstrapLog,
  decodeConfChange,
  encodeConfChange,
  emptySnapshot,
  sendableBeforePersist,
} from '../raft/index.js';
import type { Wal } from '../wal/wal.js';
import type { WalState } from '../wal/types.js';
import type { CommittedEntry, Consensus, ConsensusHandlers, ConsensusStatus } from './consensus.js';
import { Errors } from './errors.js';
import { loadSnapRecord, saveSnapRecord } from './snap-files.js';

export interface RaftNodeOptions {
  memberId: bigint;
  opened: { wal: Wal; state: WalState | null };
  /** Index already applied to the backend (its consistent index). */
  appliedIndex: number;
  /** For a brand-new member of a new cluster: the founding members (with conf-change contexts). */
  bootstrap?: { voters: Array<{ id: bigint; context: Uint8Array }> };
  heartbeatMs: number;
  electionMs: number;
  /** Sends messages to peers (the transport). */
  send: (msgs: Message[]) => void;
  /** Leader or role changed (lessor promotion, metrics). */
  onLeaderChange?: (leader: bigint, isLeader: boolean) => void;
  /** Where snapshot records live (<data-dir>/member/snap). */
  snapDir: string;
  /** --snapshot-count: applied entries between two Raft snapshots (etcd's default 100,000). */
  snapshotCount: number;
  /** Entries kept behind a snapshot for lagging followers (default CATCH_UP_ENTRIES). */
  snapshotCatchUpEntries?: number;
  /** Makes everything applied so far durable in the backend (before the WAL is released). */
  syncBackend: () => void;
  /** Replaces the state machine with the database that came with a leader's snapshot. */
  installSnapshot: (snap: Snapshot) => void;
}

/**
 * Entries kept in memory behind a snapshot, so that a slightly lagging follower catches up
 * from the log rather than by a whole snapshot (etcd keeps 5,000 too).
 */
const CATCH_UP_ENTRIES = 5000;

interface PendingRead {
  ctx: Uint8Array;
  key: string;
  index: number; // -1 until the leader confirmed it
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
  deadline: number;
  lastAsk: number;
}

/** How often an unanswered ReadIndex is asked again (the leader may have lost it). */
const READ_RETRY_MS = 500;

export class RaftNode implements Consensus {
  private node!: RawNode;
  private storage!: MemoryStorage;
  private readonly wal: Wal;
  private handlers: ConsensusHandlers | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private processing = false;
  private scheduled = false;
  private stopped = false;
  private failure: Error | null = null;
  private appliedIndex: number;
  private leader = 0n;
  /** Proposers' decoded requests by their entry bytes (saves a decode on the proposing leader). */
  private readonly locals = new WeakMap<Uint8Array, unknown>();
  private readonly reads = new Map<string, PendingRead>();
  private currentRead: PendingRead | null = null;
  private readSeq = 0;
  private readonly requestTimeoutMs: number;
  private idleResolvers: Array<() => void> = [];

  constructor(private readonly opts: RaftNodeOptions) {
    this.wal = opts.opened.wal;
    this.appliedIndex = opts.appliedIndex;
    this.requestTimeoutMs = 5000 + 2 * opts.electionMs;
  }

  async start(handlers: ConsensusHandlers): Promise<void> {
    this.handlers = handlers;
    const state = this.opts.opened.state;
    let storage: MemoryStorage;
    if (state !== null && (state.entries.length > 0 || state.hardState !== null)) {
      const saved = state.hardState ?? { term: 0, vote: 0n, commit: 0 };
      // Committed entries are applied while the hard state that records their commit is still
      // being fsynced, so after a crash the backend may be ahead of the saved commit index. What
      // was applied was committed: raise the commit index to it (etcd instead restarts Raft from
      // its snapshot index and skips re-applied entries by the consistent index).
      const hs = { ...saved, commit: Math.max(saved.commit, this.appliedIndex) };
      const snapIndex = state.snapshot?.index ?? 0;
      const snapTerm = state.snapshot?.term ?? 0;
      const entries: Entry[] = state.entries.map((e) => ({ index: e.index, term: e.term, type: e.type as EntryType, data: e.data }));
      const last = entries.length > 0 ? entries[entries.length - 1]!.index : snapIndex;
      if (this.appliedIndex > last) {
        throw new Error(`the WAL ends at index ${last} but the backend applied index ${this.appliedIndex}: the WAL is missing entries`);
      }
      // The membership at the snapshot comes from its record in snap/.
      const snapshot = snapIndex > 0 ? loadSnapRecord(this.opts.snapDir, snapTerm, snapIndex) : emptySnapshot();
      storage = MemoryStorage.fromPersisted({ snapshot, entries, hardState: hs });
    } else if (this.opts.bootstrap) {
      const b = bootstrapLog(this.opts.bootstrap.voters.map((v) => v.id));
      // The founding members' names and URLs ride in the conf changes' contexts, as in etcd,
      // so a member that later replays the log from index 1 learns them too.
      const contexts = new Map(this.opts.bootstrap.voters.map((v) => [v.id, v.context]));
      const entries = b.entries.map((e) => {
        const cc = decodeConfChange(e.data);
        return { ...e, data: encodeConfChangeWithContext(cc, contexts.get(cc.nodeId)) };
      });
      this.wal.save(b.hardState, entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: e.data })));
      await this.wal.sync();
      storage = new MemoryStorage();
      storage.append(entries);
      storage.setHardState(b.hardState);
    } else {
      // Joining an existing cluster: an empty log; the leader sends entries or a snapshot.
      storage = new MemoryStorage();
    }
    this.storage = storage;
    this.node = new RawNode({
      id: this.opts.memberId,
      electionTick: Math.max(2, Math.round(this.opts.electionMs / this.opts.heartbeatMs)),
      heartbeatTick: 1,
      storage,
      applied: this.appliedIndex,
      checkQuorum: true,
      preVote: true,
      rand: new Sfc32(Number(this.opts.memberId & 0xffffffffn) ^ Date.now()),
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
    });
    // Catch up the backend with what the log committed before a crash (no messages yet: there
    // are no peers connected), then run.
    await this.process();
    const voters = this.node.raft.prs.voterIds();
    if (voters.length === 1 && voters[0] === this.opts.memberId) {
      // A lone voter has nobody to wait for: campaign now instead of after an election timeout.
      this.node.campaign();
      await this.process();
    }
    if (this.failure) throw this.failure;
    this.ticker = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.ticker.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    this.node.tick();
    this.retryReads();
    this.schedule();
  }

  /** A message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    try {
      this.node.step(m);
    } catch {
      return; // e.g. a local message type from a confused peer
    }
    this.schedule();
  }

  reportUnreachable(id: bigint): void {
    if (this.stopped) return;
    this.node.reportUnreachable(id);
  }

  reportSnapshot(id: bigint, ok: boolean): void {
    if (this.stopped) return;
    this.node.reportSnapshot(id, ok);
    this.schedule();
  }

  propose(data: Uint8Array, local?: unknown): void {
    if (this.stopped) throw Errors.stopped();
    if (this.failure) throw this.failure;
    if (local !== undefined) this.locals.set(data, local);
    if (!this.node.tryPropose(data)) throw Errors.noLeader();
    this.schedule();
  }

  proposeConfChange(cc: ConfChange): void {
    if (this.stopped) throw Errors.stopped();
    try {
      this.node.proposeConfChange(cc);
    } catch {
      throw Errors.noLeader();
    }
    this.schedule();
  }

  transferLeader(to: bigint): void {
    this.node.transferLeader(to);
    this.schedule();
  }

  /**
   * Resolves once this member has applied everything committed before the call (a linearizable
   * read point, confirmed by the leader through a heartbeat quorum). Reads arriving in one turn
   * share one ReadIndex round.
   */
  readIndex(): Promise<void> {
    if (this.stopped) return Promise.reject(Errors.stopped());
    if (this.leader === 0n) return Promise.reject(Errors.noLeader());
    let r = this.currentRead;
    if (r === null) {
      const ctx = new Uint8Array(8);
      new DataView(ctx.buffer).setBigUint64(0, BigInt(++this.readSeq));
      const now = Date.now();
      r = { ctx, key: ctxKey(ctx), index: -1, waiters: [], deadline: now + this.requestTimeoutMs, lastAsk: now };
      this.currentRead = r;
      this.reads.set(r.key, r);
      if (!this.node.tryReadIndex(ctx)) {
        this.reads.delete(r.key);
        this.currentRead = null;
        return Promise.reject(Errors.noLeader());
      }
      // Later reads go into a new round once this turn ends.
      setImmediate(() => {
        if (this.currentRead === r) this.currentRead = null;
      });
      this.schedule();
    }
    const read = r;
    return new Promise((resolve, reject) => read.waiters.push({ resolve, reject }));
  }

  private retryReads(): void {
    if (this.reads.size === 0) return;
    const now = Date.now();
    for (const r of this.reads.values()) {
      if (now >= r.deadline) {
        this.finishRead(r);
        for (const w of r.waiters) w.reject(Errors.timeout());
      } else if (r.index < 0 && now - r.lastAsk >= READ_RETRY_MS && this.leader !== 0n) {
        r.lastAsk = now;
        this.node.tryReadIndex(r.ctx);
      }
    }
  }

  /**
   * Takes a round out of play. It may still be the round that reads of this turn join (the
   * leader can answer before the turn ends); joining a finished round would never resolve.
   */
  private finishRead(r: PendingRead): void {
    this.reads.delete(r.key);
    if (this.currentRead === r) this.currentRead = null;
  }

  private resolveReads(): void {
    for (const r of this.reads.values()) {
      if (r.index >= 0 && r.index <= this.appliedIndex) {
        this.finishRead(r);
        for (const w of r.waiters) w.resolve();
      }
    }
  }

  status(): ConsensusStatus {
    const r = this.node.raft;
    return {
      term: r.term,
      leader: r.lead,
      commitIndex: r.raftLog.committed,
      appliedIndex: this.appliedIndex,
      isLearner: r.isLearner,
    };
  }

  get isLeader(): boolean {
    return this.node.raft.state === StateRole.Leader;
  }

  /** The leader's view of each member's replication progress (empty on a follower). */
  progress(): Map<bigint, { match: number; isLearner: boolean }> {
    return this.node.status().progress;
  }

  private schedule(): void {
    if (this.scheduled || this.processing || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.process();
    });
  }

  private async process(): Promise<void> {
    if (this.processing || this.stopped) return;
    this.processing = true;
    try {
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        await this.handleReady(rd);
        this.node.advance(rd);
        if (this.appliedIndex - this.storage.snapshot().metadata.index >= this.opts.snapshotCount) await this.takeSnapshot();
      }
    } catch (e) {
      // A failed WAL write or apply leaves the member in an unknown state: stop processing,
      // fail the waiting proposers and refuse new proposals with the error (etcd panics here).
      this.failure ??= e instanceof Error ? e : new Error(String(e));
      process.emitWarning(`tsetcd raft node stopped processing: ${this.failure.message}`);
      this.handlers?.fail(this.failure);
    } finally {
      this.processing = false;
      const idle = this.idleResolvers;
      this.idleResolvers = [];
      for (const f of idle) f();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const isLeader = this.node.raft.state === StateRole.Leader;
    if (rd.softState !== null) {
      // A role change always comes with a change of leader (a new leader, or none while campaigning).
      const lead = rd.softState.leader;
      if (lead !== this.leader) this.opts.onLeaderChange?.(lead, rd.softState.role === StateRole.Leader);
      this.leader = lead;
    }
    let later: Message[] = rd.messages;
    if (isLeader && rd.messages.length > 0) {
      const now: Message[] = [];
      later = [];
      for (const m of rd.messages) (sendableBeforePersist(m, true) ? now : later).push(m);
      if (now.length > 0) this.opts.send(now);
    }
    // Persist (the fsync runs while committed entries are applied below).
    let durable: Promise<void> | null = null;
    if (rd.snapshot !== null) await this.installSnapshot(rd.snapshot);
    if (rd.hardState !== null || rd.entries.length > 0) {
      this.wal.save(rd.hardState, rd.entries as Array<{ index: number; term: number; type: number; data: Uint8Array }>);
      if (rd.mustSync) durable = this.wal.sync();
    }
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    const committed = rd.committedEntries;
    if (committed.length > 0) {
      // A follower may learn that entries are committed in the same Ready that brings them: those
      // must be durable here before the backend records them as applied.
      const overlaps = rd.entries.length > 0 && committed[committed.length - 1]!.index >= rd.entries[0]!.index;
      if (overlaps && durable !== null) {
        await durable;
        durable = null;
      }
      this.applyCommitted(committed);
    }
    for (const rs of rd.readStates) {
      const r = this.reads.get(ctxKey(rs.requestCtx));
      if (r !== undefined && r.index < 0) r.index = rs.index;
    }
    this.resolveReads();
    if (durable !== null) await durable;
    if (later.length > 0) this.opts.send(later);
  }

  /**
   * A snapshot from the leader: record it (snap/ record, then the WAL marker, both durable), then
   * swap the backend for the database that came with it. A crash in between is finished at the
   * next start, which installs <index>.snap.db when the backend is behind the WAL's snapshot.
   */
  private async installSnapshot(snap: Snapshot): Promise<void> {
    const { index, term } = snap.metadata;
    saveSnapRecord(this.opts.snapDir, snap);
    this.wal.saveSnapshot({ index, term });
    await this.wal.sync();
    this.opts.installSnapshot(snap);
    this.storage.applySnapshot(snap);
    this.appliedIndex = Math.max(this.appliedIndex, index);
    this.resolveReads();
  }

  /**
   * --snapshot-count: once that many entries were applied since the last snapshot, record one at
   * the applied index (the backend made durable first), keep CATCH_UP_ENTRIES entries in memory
   * for lagging followers, and let the WAL drop the segments the snapshot covers.
   */
  private async takeSnapshot(): Promise<void> {
    const index = this.appliedIndex;
    if (index <= this.storage.snapshot().metadata.index || index > this.storage.lastIndex()) return;
    this.opts.syncBackend();
    const snap = this.storage.createSnapshot(index, this.node.raft.prs.confState(), EMPTY);
    saveSnapRecord(this.opts.snapDir, snap);
    this.wal.saveSnapshot({ index, term: snap.metadata.term });
    await this.wal.sync();
    const compactTo = index - (this.opts.snapshotCatchUpEntries ?? CATCH_UP_ENTRIES);
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    await this.wal.releaseTo(index);
  }

  private applyCommitted(ents: Entry[]): void {
    const handlers = this.handlers!;
    const batch: CommittedEntry[] = new Array(ents.length);
    const confChanges: ConfChange[] = [];
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.data);
        confChanges.push(cc);
        batch[i] = { index: e.index, term: e.term, data: EMPTY, confChange: cc };
      } else {
        const local = this.locals.get(e.data);
        batch[i] = local === undefined ? { index: e.index, term: e.term, data: e.data } : { index: e.index, term: e.term, data: e.data, local };
      }
    }
    handlers.apply(batch);
    for (const cc of confChanges) this.node.applyConfChange(cc);
    this.appliedIndex = ents[ents.length - 1]!.index;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    // Let the Ready in progress finish (its fsync and apply) so its proposers get answers.
    if (this.processing) await new Promise<void>((r) => this.idleResolvers.push(r));
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const r of this.reads.values()) for (const w of r.waiters) w.reject(Errors.stopped());
    this.reads.clear();
    await this.wal.close();
  }
}

const EMPTY = new Uint8Array(0);

function ctxKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('latin1');
}

function encodeConfChangeWithContext(cc: ConfChange, context: Uint8Array | undefined): Uint8Array {
  return encodeConfChange({ ...cc, context: context ?? cc.context });
}
