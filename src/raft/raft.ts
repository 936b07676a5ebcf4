// The Raft algorithm as a deterministic state machine, modelled on etcd-io/raft. It is
// driven only by tick() and step(message); it never touches a clock, a disk or a socket.
// Outgoing messages accumulate in `msgs`; RawNode turns state changes into Ready batches.
//
// Everything here runs on one thread and in a fixed order (members are visited in id
// order), so a seeded simulation replays exactly.

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
  NONE,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateRole,
  EMPTY_BYTES,
  message,
  voteResponseType,
} from './types.js';
import type { RandomSource } from './rand.js';
import { CAMPAIGN_TRANSFER, type RaftConfig, type RaftMutations } from './config.js';
import { RaftLog } from './log.js';
import { ProgressTracker } from './tracker.js';
import { ProgressState } from './progress.js';
import { ReadOnly } from './readonly.js';
import { VoteResult, voteResult } from './quorum.js';
import { applyConfChange } from './confchange.js';
import { CompactedError, SnapshotTemporarilyUnavailableError, RaftInvariantError } from './errors.js';
import { decodeConfChange } from './codec.js';

type CampaignKind = 'pre-election' | 'election' | 'transfer';

function bytesEqual(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  readonly raftLog: RaftLog;
  readonly prs: ProgressTracker;
  state: StateRole = StateRole.Follower;
  isLearner = false;
  /** We applied our own removal (we may still campaign, only to hand over; see mayCampaignToHandOver). */
  removedSelf = false;
  /** Ticks since our last hand-over campaign (they are rate-limited; see mayCampaignToHandOver). */
  private ticksSinceHandOver = Number.MAX_SAFE_INTEGER;
  lead: NodeId = NONE;
  /** Target of an ongoing leader transfer, or NONE. */
  leadTransferee: NodeId = NONE;
  /** Index of the last conf change proposed; a new one is refused until it is applied. */
  pendingConfIndex = 0;
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  private readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];
  /** A ReadIndex was queued and no heartbeat round carrying it has been sent yet. */
  private readBroadcastPending = false;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly maxMsgSize: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly rand: RandomSource;
  private readonly mut: RaftMutations;

  constructor(c: RaftConfig) {
    if (c.id === NONE) throw new RangeError('cannot use none as id');
    if (c.heartbeatTick <= 0) throw new RangeError('heartbeat tick must be greater than 0');
    if (c.electionTick <= c.heartbeatTick) throw new RangeError('election tick must be greater than heartbeat tick');
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.rand = c.rand;
    this.mut = c.mutations ?? {};
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    this.prs = new ProgressTracker(c.maxInflightMsgs ?? 256);

    const { hardState, confState } = c.storage.initialState();
    this.prs.resetTo(confState, this.raftLog.lastIndex() + 1);
    this.isLearner = this.prs.learners.has(this.id);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) {
      this.raftLog.appliedTo(c.applied);
      // Membership = the snapshot's ConfState plus every conf change applied since. The
      // application will not hand us the ones up to `applied` again, so replay them here.
      const lo = this.raftLog.firstIndex();
      if (c.applied >= lo) {
        for (const e of this.raftLog.slice(lo, c.applied + 1, Number.MAX_SAFE_INTEGER)) {
          if (e.type === EntryType.ConfChange) {
            const cc = decodeConfChange(e.data);
            if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.id) this.removedSelf = true;
            this.prs.resetTo(applyConfChange(this.prs.confState(), cc), this.raftLog.lastIndex() + 1);
          }
        }
        this.isLearner = this.prs.learners.has(this.id);
      }
    }
    this.becomeFollower(this.term, NONE);
  }

  // ---- state snapshots for RawNode -------------------------------------------------

  softState(): SoftState {
    return { leader: this.lead, role: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- sending ---------------------------------------------------------------------

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === MessageType.Vote || t === MessageType.VoteResp || t === MessageType.PreVote || t === MessageType.PreVoteResp) {
      // Vote messages carry the term they are about (for pre-votes, a future term).
      if (m.term === 0) throw new RaftInvariantError(`term should be set when sending ${t}`);
    } else {
      if (m.term !== 0) throw new RaftInvariantError(`term should not be set when sending ${t} (was ${m.term})`);
      // Proposals and forwarded reads are not bound to a term: a follower forwards them as is.
      if (t !== MessageType.Prop && t !== MessageType.ReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends MsgApp (or MsgSnap if the follower needs compacted entries) to `to`. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends entries to `to` if its progress allows. With sendIfEmpty=false, nothing is sent
   * when there are no new entries. Returns whether a message was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.termOrNull(prevIndex);
    let ents: Entry[] | null = null;
    if (prevTerm !== null) ents = this.entriesOrNull(pr.next);
    if (ents !== null && ents.length === 0 && !sendIfEmpty) return false;

    if (prevTerm === null || ents === null) {
      // The follower needs entries we no longer have: send a snapshot instead. Only to a
      // follower we heard from lately, since a snapshot is expensive to ship.
      if (!pr.recentActive) return false;
      let snap: Snapshot;
      try {
        snap = this.raftLog.snapshot();
      } catch (e) {
        if (e instanceof SnapshotTemporarilyUnavailableError) return false;
        throw e;
      }
      if (snap.metadata.index === 0) throw new RaftInvariantError('need non-empty snapshot');
      pr.becomeSnapshot(snap.metadata.index);
      this.send(message({ type: MessageType.Snap, to, snapshot: snap }));
      return true;
    }

    this.send(message({
      type: MessageType.App,
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.raftLog.committed,
    }));
    if (ents.length > 0) {
      if (pr.state === ProgressState.Replicate) {
        // Pipelining: assume delivery and move on; the inflight window bounds the optimism.
        const last = ents[ents.length - 1]!.index;
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === ProgressState.Probe) {
        pr.probeSent = true;
      }
    }
    return true;
  }

  /** Entries from i on within the message budget, or null if some were compacted. */
  private entriesOrNull(i: number): Entry[] | null {
    try {
      return this.raftLog.entries(i, this.maxMsgSize);
    } catch (e) {
      if (e instanceof CompactedError) return null;
      throw e;
    }
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array | null): void {
    // Never tell a follower to commit beyond what it is known to hold: it may not have it.
    const pr = this.prs.progress.get(to)!;
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(message({ type: MessageType.Heartbeat, to, commit, context: ctx }));
  }

  bcastAppend(): void {
    this.prs.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingRequestCtx();
    this.readBroadcastPending = false;
    this.prs.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  /**
   * Sends one heartbeat round for all ReadIndex requests queued since the last round. Called
   * when a Ready is assembled, so every read arriving in one turn shares a single round.
   */
  flushReadIndexBroadcast(): void {
    if (this.readBroadcastPending && this.state === StateRole.Leader) this.bcastHeartbeat();
    this.readBroadcastPending = false;
  }

  hasPendingReadBroadcast(): boolean {
    return this.readBroadcastPending && this.state === StateRole.Leader;
  }

  // ---- commit ----------------------------------------------------------------------

  /** Advances commit to what a quorum has acknowledged, if that entry is of the current term. */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.prs.committed(), this.term, this.mut.commitOldTermByCounting === true);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrNull(this.raftLog.committed) === this.term;
  }

  // ---- role changes ----------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.prs.resetVotes();
    const last = this.raftLog.lastIndex();
    const stable = this.raftLog.lastStableIndex();
    this.prs.visit((id, pr) => {
      pr.becomeProbe();
      // Our own copy counts only once it is durable (see appendEntry).
      pr.match = id === this.id ? stable : 0;
      pr.next = last + 1;
      pr.recentActive = false;
    });
    this.pendingConfIndex = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.readBroadcastPending = false;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.rand.intn(this.electionTimeout);
  }

  private appendEntry(es: Entry[]): void {
    let li = this.raftLog.lastIndex();
    const stamped: Entry[] = es.map((e) => ({ term: this.term, index: ++li, type: e.type, data: e.data }));
    this.raftLog.append(stamped);
    // The leader's own copy does NOT count toward commit yet: it is not durable until the
    // caller persists this Ready and calls advance() (see onEntriesStable). Counting it
    // early would let a single-voter leader commit -- and ship that commit index to
    // learners in the appends it sends in parallel with its fsync -- entries a crash
    // could still erase. The simulator caught exactly that.
    this.maybeCommit();
  }

  /** The caller made entries up to `index` durable (RawNode.advance). */
  onEntriesStable(index: number): void {
    if (this.state !== StateRole.Leader) return;
    const self = this.prs.progress.get(this.id);
    if (self === undefined || !self.maybeUpdate(index)) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateRole.Follower;
  }

  becomeCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateRole.Candidate;
  }

  becomePreCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither term nor vote: losing a pre-vote must leave no trace.
    this.prs.resetVotes();
    this.lead = NONE;
    this.state = StateRole.PreCandidate;
  }

  becomeLeader(): void {
    if (this.state === StateRole.Follower) throw new RaftInvariantError('invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateRole.Leader;
    const self = this.prs.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively treat every unapplied entry as a possible conf change.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of our term: committing it commits everything before it (Figure 8).
    this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY_BYTES }]);
    // A removed member only ever leads to pass its log on (see mayCampaignToHandOver).
    if (!this.prs.isVoter(this.id)) this.transferAfterRemoval();
  }

  /** May this node campaign? Voters may; learners, non-members and nodes installing a snapshot may not. */
  promotable(): boolean {
    const pr = this.prs.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  /**
   * A member that applied its own removal never campaigns on its own -- with one exception.
   * In a two-member cluster whose leader removed itself and lost leadership before handing
   * over, the survivor may still count the removed member in its quorum yet lack entries
   * only the removed member holds: the survivor cannot win the removed member's vote, and
   * the removed member cannot campaign -- forever. So when a candidate with a shorter log
   * asks for our vote, a removed member campaigns itself (votes are counted over the
   * configuration without it, so only the remaining voters can elect it), then replicates
   * its log and transfers leadership (see becomeLeader). The simulator found this case.
   */
  private mayCampaignToHandOver(): boolean {
    return (
      this.removedSelf &&
      !this.prs.progress.has(this.id) &&
      this.prs.voters.size > 0 &&
      !this.raftLog.hasPendingSnapshot() &&
      // At most once per two election timeouts: each attempt bumps the term, and when it
      // is not needed (a better candidate exists) it only delays that candidate.
      this.ticksSinceHandOver >= 2 * this.electionTimeout
    );
  }

  private hup(kind: CampaignKind): void {
    if (this.state === StateRole.Leader) return;
    if (!this.promotable()) return;
    // A committed but unapplied conf change may remove us or change the quorum: wait for it.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(kind);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex());
    const hi = this.raftLog.committed + 1;
    if (lo >= hi) return false;
    for (const e of this.raftLog.slice(lo, hi, Number.MAX_SAFE_INTEGER)) {
      if (e.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  private campaign(kind: CampaignKind): void {
    let voteMsg: MessageType;
    let term: number;
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      term = this.term + 1; // pre-votes are about the term we would campaign in
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // Single-voter cluster: we won outright.
      if (kind === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.prs.voterIds()) {
      if (id === this.id) continue;
      this.send(message({
        type: voteMsg,
        to: id,
        term,
        index: lastIndex,
        logTerm: lastTerm,
        context: kind === 'transfer' ? CAMPAIGN_TRANSFER : null,
      }));
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    this.prs.recordVote(id, granted);
    return this.prs.tallyVotes().result;
  }

  // ---- ticks -----------------------------------------------------------------------

  tick(): void {
    if (this.removedSelf) this.ticksSinceHandOver++;
    if (this.state === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned -- unless we
      // were removed, in which case we keep trying (we must not lead for long).
      if (this.state === StateRole.Leader && this.leadTransferee !== NONE) {
        this.abortLeaderTransfer();
        if (!this.prs.isVoter(this.id)) this.transferAfterRemoval();
      }
    }
    if (this.state !== StateRole.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- stepping --------------------------------------------------------------------

  /** Processes one message. Returns false if it was a proposal (or read) that got dropped. */
  step(m: Message): boolean {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Leader lease: we heard from a live leader recently, so this candidate is
        // probably a partitioned node rejoining; ignore it rather than depose the leader.
        if (!force && inLease) return true;
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // A granted pre-vote carries the future term; we bump it only if we win.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (e.g. healed from a partition) must learn the newer term: with
        // check-quorum or pre-vote it may never see a higher-term vote request, so answer
        // its append/heartbeat with our term, which makes it step down.
        this.send(message({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        // Reject with our term so a pre-candidate with a stale log learns it.
        this.send(message({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return true;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return true;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return true;
      default:
        switch (this.state) {
          case StateRole.Leader:
            return this.stepLeader(m);
          case StateRole.Candidate:
          case StateRole.PreCandidate:
            return this.stepCandidate(m);
          case StateRole.Follower:
            return this.stepFollower(m);
        }
    }
  }

  private handleVoteRequest(m: Message): void {
    // We can vote if we already voted for this candidate (a retry), if we have neither voted
    // nor know a leader this term, or for a pre-vote about a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term) ||
      this.mut.voteTwiceInTerm === true;
    const upToDate = this.mut.skipLogUpToDateCheck === true || this.raftLog.isUpToDate(m.index, m.logTerm);
    if (canVote && upToDate) {
      // Respond with the term from the request: for a pre-vote it is a future term.
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }));
      if (!upToDate && this.state !== StateRole.Leader && this.mayCampaignToHandOver()) {
        this.ticksSinceHandOver = 0;
        this.campaign(this.preVote ? 'pre-election' : 'election');
      }
    }
  }

  private stepLeader(m: Message): boolean {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return true;
      case MessageType.CheckQuorum:
        if (!this.prs.quorumActive()) {
          // We may be partitioned away: stop acting as leader so clients go elsewhere.
          this.becomeFollower(this.term, NONE);
        }
        this.prs.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return true;
      case MessageType.Prop:
        return this.leaderPropose(m);
      case MessageType.ReadIndex:
        this.leaderReadIndex(m);
        return true;
    }

    // The remaining messages come from a member whose progress we track.
    const pr = this.prs.progress.get(m.from);
    if (pr === undefined) return true;
    switch (m.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        if (m.reject) {
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) {
            // The follower's log has term m.logTerm at m.rejectHint; skip every index in our
            // log past the last entry with a term <= that one (at most one probe per term).
            nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm);
          }
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
        } else {
          const oldPaused = pr.isPaused();
          if (pr.maybeUpdate(m.index)) {
            if (pr.state === ProgressState.Probe) {
              pr.becomeReplicate();
            } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.raftLog.firstIndex()) {
              // The snapshot (or enough of the log) landed: resume normal replication.
              pr.becomeProbe();
              pr.becomeReplicate();
            } else if (pr.state === ProgressState.Replicate) {
              pr.inflights.freeLE(m.index);
            }
            if (this.maybeCommit()) {
              this.releasePendingReadIndexMessages();
              this.bcastAppend();
            } else if (oldPaused) {
              this.sendAppend(m.from);
            }
            // Fill the inflight window; bounded because each send adds an inflight or pauses a probe.
            while (this.maybeSendAppend(m.from, false)) { /* keep sending */ }
            if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
              this.sendTimeoutNow(m.from);
            }
          }
        }
        return true;
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.probeSent = false;
        // A live follower with a full window probably lost a MsgApp: free a slot to retry.
        if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
        if (m.context === null || m.context.length === 0) return true;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (acks === null) return true;
        const votes = new Map<NodeId, boolean>();
        for (const id of acks) votes.set(id, true);
        if (voteResult(this.prs.voters, votes) !== VoteResult.Won) return true;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return true;
      }
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return true;
        if (m.reject) pr.pendingSnapshot = 0; // failed: probe from match instead
        pr.becomeProbe();
        // Wait for a heartbeat response (or an append ack) before probing again.
        pr.probeSent = true;
        return true;
      case MessageType.Unreachable:
        // Sends to it are failing; stop pipelining and probe.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return true;
      case MessageType.TransferLeader: {
        if (pr.isLearner) return true;
        const transferee = m.from;
        const last = this.leadTransferee;
        if (last !== NONE) {
          if (last === transferee) return true; // already in progress
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return true;
        // The transfer must finish within one election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return true;
      }
    }
    return true;
  }

  private leaderPropose(m: Message): boolean {
    if (m.entries.length === 0) throw new RaftInvariantError('stepped empty MsgProp');
    // A leader that removed itself keeps no progress for itself and must not grow the log.
    if (!this.prs.progress.has(this.id)) return false;
    // During a transfer, new entries would delay the transferee catching up.
    if (this.leadTransferee !== NONE) return false;
    const ents = m.entries.slice();
    for (let i = 0; i < ents.length; i++) {
      if (ents[i]!.type !== EntryType.ConfChange) continue;
      if (this.pendingConfIndex > this.raftLog.applied) {
        // One membership change at a time: keep the slot (callers wait on the index) but
        // replace it with a no-op.
        ents[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY_BYTES };
      } else {
        this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
      }
    }
    this.appendEntry(ents);
    this.bcastAppend();
    return true;
  }

  private leaderReadIndex(m: Message): void {
    if (this.prs.isSingleton() && this.prs.isVoter(this.id)) {
      // Nobody can depose a single-voter leader: the commit index is safe to read at once.
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      // Our commit index may be behind the previous leader's until we commit our own entry.
      this.pendingReadIndexMessages.push(m);
      return;
    }
    if (this.mut.readIndexWithoutQuorum === true) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, m.context!);
    this.readBroadcastPending = true;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.leaderReadIndex(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    const ctx = req.context!;
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: ctx });
    } else {
      this.send(message({ type: MessageType.ReadIndexResp, to: req.from, index, context: ctx }));
    }
  }

  private stepCandidate(m: Message): boolean {
    const myVoteResp = this.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
      case MessageType.ReadIndex:
        return false; // no leader to forward to
      case MessageType.App:
        this.becomeFollower(m.term, m.from); // always m.term == this.term here
        this.handleAppendEntries(m);
        return true;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return true;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return true;
      case myVoteResp: {
        const res = this.poll(m.from, !m.reject);
        if (res === VoteResult.Won) {
          if (this.state === StateRole.PreCandidate) {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === VoteResult.Lost) {
          // A pre-candidate that loses returns to follower in its old term, vote unchanged.
          this.becomeFollower(this.term, NONE);
        }
        return true;
      }
      default:
        return true; // TimeoutNow and others are ignored while campaigning
    }
  }

  private stepFollower(m: Message): boolean {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) return false;
        m.to = this.lead;
        this.send(m);
        return true;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return true;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return true;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return true;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return false;
        m.to = this.lead;
        this.send(m);
        return true;
      case MessageType.TimeoutNow:
        // The leader chose us: campaign now, skipping pre-vote and the lease of others.
        this.hup('transfer');
        return true;
      case MessageType.ReadIndex:
        if (this.lead === NONE) return false;
        m.to = this.lead;
        this.send(m);
        return true;
      case MessageType.ReadIndexResp:
        if (m.context !== null) this.readStates.push({ index: m.index, requestCtx: m.context });
        return true;
    }
    return true;
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      // Everything up to our commit already matches; tell the leader where we are.
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: lastNew }));
      return;
    }
    // Reject, with a hint: the last index <= m.index whose term is <= m.logTerm, and its term.
    let hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    hintIndex = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    const hintTerm = this.raftLog.termOrNull(hintIndex) ?? 0;
    this.send(message({
      type: MessageType.AppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: hintTerm,
    }));
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(message({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot!;
    if (this.restore(snap)) {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader. Returns false if it was stale or redundant. */
  restore(s: Snapshot): boolean {
    const meta = s.metadata;
    if (meta.index <= this.raftLog.committed) return false;
    // Only followers install snapshots (candidates become followers before getting here).
    if (this.state !== StateRole.Follower) return false;
    // Unlike etcd-io/raft we accept a snapshot whose configuration does not include us: a
    // member added after the leader's last snapshot gets exactly that, and refusing it would
    // leave the member stuck until the leader happens to take a newer snapshot. The entries
    // after the snapshot add us; until we apply them we are simply not promotable.
    const cs = meta.confState;
    if (this.raftLog.matchTerm(meta.index, meta.term)) {
      // We already have the entry at the snapshot point: just fast-forward commit.
      this.raftLog.commitTo(meta.index);
      return false;
    }
    this.raftLog.restore(s);
    this.prs.resetTo({ voters: [], learners: [] }, 0);
    this.prs.resetTo(cs, this.raftLog.lastIndex() + 1);
    this.isLearner = this.prs.learners.has(this.id);
    return true;
  }

  // ---- leader transfer -------------------------------------------------------------

  /** Removed leader: start (or restart) a transfer to the voter with the highest match. */
  private transferAfterRemoval(): void {
    let best: NodeId = NONE;
    let bestMatch = -1;
    this.prs.visit((id, p) => {
      if (!p.isLearner && id !== this.id && p.match > bestMatch) {
        best = id;
        bestMatch = p.match;
      }
    });
    if (best === NONE) return;
    this.leadTransferee = best;
    this.electionElapsed = 0;
    const pr = this.prs.progress.get(best)!;
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
    else this.sendAppend(best);
    this.bcastAppend();
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(message({ type: MessageType.TimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---- membership ------------------------------------------------------------------

  /** Applies a committed conf change (called by the application when it applies the entry). */
  applyConfChange(cc: ConfChange): ConfState {
    if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.id) this.removedSelf = true;
    const cs = applyConfChange(this.prs.confState(), cc);
    return this.switchToConfig(cs);
  }

  private switchToConfig(cs: ConfState): ConfState {
    const before = new Set(this.prs.progress.keys());
    this.prs.resetTo(cs, this.raftLog.lastIndex() + 1);
    // A member we just added has not had a chance to talk to us: do not let check-quorum
    // count it as dead right away.
    for (const [id, pr] of this.prs.progress) if (!before.has(id)) pr.recentActive = true;
    const pr = this.prs.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;

    if ((pr === undefined || this.isLearner) && this.state === StateRole.Leader) {
      // We removed ourselves. We keep leading (commit now counts only the remaining voters)
      // but accept no proposals, and hand leadership to the most caught-up voter as soon as
      // it has our whole log. Stepping down at once could strand a two-member cluster: the
      // survivor might lack entries only we hold, so it could neither win our vote nor
      // commit alone.
      this.maybeCommit();
      this.transferAfterRemoval();
      return cs;
    }
    if (this.state !== StateRole.Leader || cs.voters.length === 0) return cs;
    // The quorum changed: commit may advance, and new members need entries.
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      this.prs.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.prs.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }
}
