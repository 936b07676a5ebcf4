// A whole simulated cluster driven by one seeded PRNG: members, network, a client, and a
// fault injector. run() plays a chaos phase (faults on) then a heal phase (faults off)
// in which liveness is required. Same seed, same run, bit for bit.

import {
  type ConfChange,
  ConfChangeType,
  type Message,
  MessageType,
  ProposalDroppedError,
  MESSAGE_TYPE_NAMES,
  type NodeId,
  type RaftMutations,
  Sfc32,
  decodeMessage,
  encodeMessage,
} from '../../../src/raft/index.js';
import { Checker, Violation } from './checker.js';
import { Network } from './network.js';
import { type NodeEnv, type NodeParams, SimNode } from './node.js';
import { asciiBytes, encodeValue } from './statemachine.js';

export interface SimOptions {
  voters: number;
  learners: number;
  /** Time units of the chaos phase. */
  chaosSteps: number;
  /**
   * Liveness bound: after healing, the cluster must settle, and may go at most this many
   * time units without committing anything new while it does (a big backlog through a
   * narrow pipe is slow, not stuck). Hard cap: 20 times this.
   */
  healSteps: number;
  loss: number;
  duplicate: number;
  maxDelay: number;
  /** Chance a message may overtake earlier ones on its link (links are FIFO otherwise). */
  reorder: number;
  /** Per time unit chance of: a crash, a partition change, a membership change. */
  crashChance: number;
  partitionChance: number;
  /** Per time unit chance that the current leader in particular crashes (hunting figure 8). */
  leaderCrashChance: number;
  confChangeChance: number;
  crashInReadyChance: number;
  proposeChance: number;
  readChance: number;
  transferChance: number;
  checkQuorum: boolean;
  preVote: boolean;
  electionTick: number;
  heartbeatTick: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  /** Byte budget of committed entries per Ready (small values page them over several Readies). */
  maxCommittedSizePerReady: number;
  snapshotEvery: number;
  maxMembers: number;
  /** Chance a message goes through the binary codec (tests it and breaks object aliasing). */
  codecChance: number;
  mutations?: RaftMutations;
  /**
   * TEST-ONLY planted bug in the driver rather than the core: send every message before the
   * fsync, breaking the persistence contract (a vote can be lost in a crash after it went out).
   */
  sendBeforeFsync?: boolean;
}

/** Derives a varied but deterministic configuration from the seed. */
export function optionsForSeed(seed: number, mutations?: RaftMutations): SimOptions {
  const r = new Sfc32(seed ^ 0x5bd1e995);
  const profile = r.intn(4);
  const voters = profile === 0 ? 3 : profile === 1 ? 5 : profile === 2 ? 3 : 2 + r.intn(3);
  const learners = profile === 2 ? 1 + r.intn(2) : 0;
  return {
    voters,
    learners,
    chaosSteps: 150 + r.intn(150),
    healSteps: 1200,
    loss: [0, 0.02, 0.1, 0.25][r.intn(4)]!,
    duplicate: [0, 0.02, 0.1][r.intn(3)]!,
    maxDelay: r.intn(4),
    reorder: [0, 0.05, 0.3][r.intn(3)]!,
    crashChance: [0, 0.005, 0.02][r.intn(3)]!,
    partitionChance: [0, 0.01, 0.03][r.intn(3)]!,
    leaderCrashChance: r.chance(0.2) ? 0.02 : 0,
    confChangeChance: profile === 3 ? 0.03 : r.chance(0.3) ? 0.01 : 0,
    crashInReadyChance: [0, 0.002, 0.01][r.intn(3)]!,
    proposeChance: 0.2 + r.nextFloat() * 0.5,
    readChance: 0.1 + r.nextFloat() * 0.2,
    transferChance: r.chance(0.3) ? 0.01 : 0,
    checkQuorum: r.chance(0.6),
    preVote: r.chance(0.6),
    electionTick: 10,
    heartbeatTick: 1 + r.intn(3),
    maxSizePerMsg: [1, 64, 1024 * 1024][r.intn(3)]!,
    maxInflightMsgs: 1 + r.intn(4),
    maxCommittedSizePerReady: r.chance(0.3) ? 1 : Number.MAX_SAFE_INTEGER,
    snapshotEvery: [5, 20, 1000][r.intn(3)]!,
    maxMembers: 6,
    codecChance: 0.1,
    mutations,
  };
}

/**
 * A profile tuned to produce the Figure 8 situation (leaders that append locally and lose
 * contact before replicating, in quick succession): three voters, one entry per message,
 * frequent partitions and leader crashes, no pre-vote or check-quorum to slow elections.
 * Used to show that the checkers catch the "commit an old-term entry by counting" bug.
 */
export function figure8HuntingOptions(seed: number, mutations?: RaftMutations): SimOptions {
  return {
    ...optionsForSeed(seed, mutations),
    voters: 3,
    learners: 0,
    chaosSteps: 300,
    loss: 0.1,
    duplicate: 0,
    maxDelay: 2,
    reorder: 0,
    crashChance: 0.01,
    leaderCrashChance: 0.03,
    partitionChance: 0.1,
    confChangeChance: 0,
    crashInReadyChance: 0,
    proposeChance: 0.3,
    readChance: 0,
    transferChance: 0,
    checkQuorum: false,
    preVote: false,
    maxSizePerMsg: 1,
    maxInflightMsgs: 1,
    snapshotEvery: 1000,
  };
}

export interface SimResult {
  seed: number;
  violation: string | null;
  steps: number;
  leaders: number;
  committed: number;
  reads: number;
  acked: number;
  messages: number;
  trace: string[];
}

export class World implements NodeEnv {
  readonly rng: Sfc32;
  readonly checker = new Checker();
  readonly net: Network;
  readonly nodes = new Map<NodeId, SimNode>();
  private time = 0;
  private nextId: NodeId;
  private nextValue = 1;
  private nextRead = 1;
  /** Proposals not yet seen applied: key -> time last proposed. */
  private outstanding = new Map<string, { seq: number; lastTry: number }>();
  private acked = 0;
  private downUntil = new Map<NodeId, number>();
  private readonly traceLines: string[] = [];
  private healing = false;

  /**
   * Transport feedback to a sender (etcd's ReportSnapshot / ReportUnreachable). Queued, not
   * stepped at once: the sender may be in the middle of handling a Ready.
   */
  private reports: { to: NodeId; about: NodeId; kind: 'snap-ok' | 'snap-fail' | 'unreachable' }[] = [];

  constructor(readonly seed: number, readonly opts: SimOptions, private readonly traceEnabled = false) {
    this.rng = new Sfc32(seed);
    this.net = new Network(this.rng, { loss: opts.loss, duplicate: opts.duplicate, maxDelay: opts.maxDelay, reorder: opts.reorder });
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (let i = 1; i <= opts.voters; i++) voters.push(BigInt(i));
    for (let i = 1; i <= opts.learners; i++) learners.push(BigInt(opts.voters + i));
    this.nextId = BigInt(opts.voters + opts.learners + 1);
    for (const id of [...voters, ...learners]) {
      const n = new SimNode(id, { voters, learners }, this.paramsFor(), this);
      this.nodes.set(id, n);
      n.start();
    }
  }

  private paramsFor(): NodeParams {
    const o = this.opts;
    return {
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      checkQuorum: o.checkQuorum,
      preVote: o.preVote,
      maxSizePerMsg: o.maxSizePerMsg,
      maxInflightMsgs: o.maxInflightMsgs,
      maxCommittedSizePerReady: o.maxCommittedSizePerReady,
      // Clock skew: some members' clocks run slower. Without pre-vote, a member with a stale
      // log and a fast clock can keep bumping the term and resetting everyone's timer, and
      // a member whose clock is slower by more than the election-timeout jitter (2x) can
      // then never win: Raft's liveness argument needs the jitter to dominate the skew.
      tickChance: (o.preVote ? 0.6 : 0.8) + this.rng.nextFloat() * (o.preVote ? 0.4 : 0.2),
      crashInReadyChance: o.crashInReadyChance,
      snapshotEvery: o.snapshotEvery,
      mutations: o.mutations,
      sendBeforeFsync: o.sendBeforeFsync ?? false,
    };
  }

  // ---- NodeEnv ---------------------------------------------------------------------

  now(): number {
    return this.time;
  }

  faultsEnabled(): boolean {
    return !this.healing;
  }

  trace(line: string): void {
    if (this.traceEnabled) this.traceLines.push(`[${this.time}] ${line}`);
  }

  send(m: Message): void {
    let msg = m;
    if (this.rng.chance(this.opts.codecChance)) msg = decodeMessage(encodeMessage(m));
    if (!this.net.send(this.time, msg)) this.onDropped(msg);
  }

  ensureMember(id: NodeId): void {
    if (this.nodes.has(id)) return;
    const n = new SimNode(id, null, this.paramsFor(), this);
    this.nodes.set(id, n);
    n.start();
    this.trace(`${id} joins`);
  }

  onValueApplied(key: string): void {
    if (this.outstanding.delete(key)) this.acked++;
  }

  onReadState(node: SimNode, ctx: string, index: number): void {
    this.checker.onReadState(node.id, ctx, index);
  }

  // ---- delivery --------------------------------------------------------------------

  private onDropped(m: Message): void {
    if (m.type === MessageType.Snap) this.reports.push({ to: m.from, about: m.to, kind: 'snap-fail' });
    else if (m.type === MessageType.App && this.rng.chance(0.2)) this.reports.push({ to: m.from, about: m.to, kind: 'unreachable' });
  }

  private drainReports(): void {
    // Bounded: handling a report can only queue new reports by sending, and sends queue at most one each.
    for (let guard = 0; guard < 1000 && this.reports.length > 0; guard++) {
      const r = this.reports.shift()!;
      const n = this.nodes.get(r.to);
      if (!n?.alive) continue;
      if (r.kind === 'unreachable') n.raw!.reportUnreachable(r.about);
      else n.raw!.reportSnapshot(r.about, r.kind === 'snap-ok');
      n.afterInput();
    }
  }

  private deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (to === undefined || !to.alive || this.net.isBlocked(m.from, m.to)) {
      this.onDropped(m);
      return;
    }
    if (to.removedPeers.has(m.from)) {
      // etcd's transport refuses messages from members it knows were removed (HTTP 410
      // Gone), and a member told so shuts itself down. Not at once, though: the remaining
      // voters may not know yet that its removal committed and may still need its vote (in
      // a two-voter cluster, to elect anyone at all). Like a member that applied its own
      // removal, it stops once a leader runs without it (see stepTime).
      const sender = this.nodes.get(m.from);
      if (sender?.alive && sender.removedSelfAt < 0) {
        sender.removedSelfAt = this.time;
        this.trace(`${sender.id} told it was removed`);
      }
      return;
    }
    if (this.traceEnabled && m.type !== MessageType.Heartbeat && m.type !== MessageType.HeartbeatResp) {
      this.trace(`deliver ${MESSAGE_TYPE_NAMES[m.type]} ${m.from}->${m.to} term=${m.term} idx=${m.index} logTerm=${m.logTerm} n=${m.entries.length} commit=${m.commit}${m.reject ? ' reject' : ''}`);
    }
    to.raw!.step(m);
    to.afterInput();
    if (m.type === MessageType.Snap) this.reports.push({ to: m.from, about: m.to, kind: 'snap-ok' });
  }

  // ---- faults and clients ----------------------------------------------------------

  private liveNodes(): SimNode[] {
    const out: SimNode[] = [];
    for (const n of this.nodes.values()) if (n.alive) out.push(n);
    return out;
  }

  private pick<T>(xs: T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.rng.intn(xs.length)];
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.alive && n.isLeader() && (best === undefined || n.raw!.raft.term > best.raw!.raft.term)) best = n;
    }
    return best;
  }

  private injectFaults(): void {
    const o = this.opts;
    if (o.crashChance > 0 && this.rng.chance(o.crashChance)) {
      const victim = this.pick(this.liveNodes());
      if (victim) {
        victim.crash();
        for (const m of this.net.dropTo(victim.id)) this.onDropped(m);
        this.downUntil.set(victim.id, this.time + 5 + this.rng.intn(40));
      }
    }
    if (o.leaderCrashChance > 0 && this.rng.chance(o.leaderCrashChance)) {
      const l = this.leader();
      if (l) {
        l.crash();
        for (const m of this.net.dropTo(l.id)) this.onDropped(m);
        this.downUntil.set(l.id, this.time + 5 + this.rng.intn(40));
      }
    }
    if (o.partitionChance > 0 && this.rng.chance(o.partitionChance)) {
      const ids = [...this.nodes.keys()];
      const kind = this.rng.intn(4);
      this.net.heal();
      if (kind === 1) {
        // Symmetric split into two random groups.
        const a: NodeId[] = [];
        const b: NodeId[] = [];
        for (const id of ids) (this.rng.chance(0.5) ? a : b).push(id);
        this.net.partition(a, b);
        this.trace(`partition ${a.join(',')} | ${b.join(',')}`);
      } else if (kind === 2) {
        const id = this.pick(ids)!;
        this.net.partition([id], ids.filter((x) => x !== id));
        this.trace(`isolate ${id}`);
      } else if (kind === 3) {
        // One-way: some links drop in one direction only.
        for (let i = 0; i < 1 + this.rng.intn(3); i++) {
          const from = this.pick(ids)!;
          const to = this.pick(ids)!;
          if (from !== to) this.net.block(from, to);
        }
        this.trace(`one-way blocks ${this.net.partitionCount()}`);
      } else {
        this.trace('heal network');
      }
    }
    if (o.confChangeChance > 0 && this.rng.chance(o.confChangeChance)) this.changeMembership();
    if (o.transferChance > 0 && this.rng.chance(o.transferChance)) {
      const l = this.leader();
      if (l) {
        const target = this.pick(l.raw!.raft.prs.voterIds());
        if (target !== undefined) {
          this.trace(`transfer leader ${l.id} -> ${target}`);
          l.raw!.transferLeader(target);
          l.afterInput();
        }
      }
    }
  }

  private changeMembership(): void {
    const l = this.leader();
    if (!l) return;
    const cs = l.raw!.raft.prs.confState();
    const members = cs.voters.length + cs.learners.length;
    let cc: ConfChange | null = null;
    const roll = this.rng.intn(4);
    if (roll === 0 && cs.learners.length > 0) {
      cc = { type: ConfChangeType.AddNode, nodeId: this.pick(cs.learners)!, context: new Uint8Array(0) };
    } else if (roll === 1 && members < this.opts.maxMembers) {
      cc = { type: ConfChangeType.AddLearnerNode, nodeId: this.nextId++, context: new Uint8Array(0) };
    } else if (roll === 2 && members < this.opts.maxMembers) {
      cc = { type: ConfChangeType.AddNode, nodeId: this.nextId++, context: new Uint8Array(0) };
    } else if (roll === 3 && cs.voters.length > 1) {
      // Any voter, the leader included; or a learner.
      const victim = this.pick([...cs.voters, ...cs.learners])!;
      cc = { type: ConfChangeType.RemoveNode, nodeId: victim, context: new Uint8Array(0) };
    }
    if (cc === null) return;
    try {
      l.raw!.proposeConfChange(cc);
      this.trace(`propose ${ConfChangeType[cc.type]} ${cc.nodeId} via ${l.id}`);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    l.afterInput();
  }

  private propose(key: string, seq: number): void {
    this.outstanding.set(key, { seq, lastTry: this.time });
    const n = this.pick(this.liveNodes());
    if (!n) return;
    if (n.raw!.tryPropose(encodeValue(seq))) {
      n.afterInput();
      return;
    }
    n.afterInput();
    // Like etcd's client, fail over to another endpoint: the one that says it leads.
    const l = this.leader();
    if (l && l !== n) {
      l.raw!.tryPropose(encodeValue(seq));
      l.afterInput();
    }
  }

  private clientActions(): void {
    const o = this.opts;
    // The client has a bounded number of requests in flight, as real clients do.
    if (!this.healing && this.outstanding.size < 16 && this.rng.chance(o.proposeChance)) {
      const seq = this.nextValue++;
      this.propose(`v${seq}`, seq);
    }
    // Retry proposals that have not shown up (they may have been dropped or overwritten).
    for (const [key, p] of this.outstanding) {
      if (this.time - p.lastTry >= 60) {
        this.propose(key, p.seq);
        break; // one retry per time unit keeps the load bounded
      }
    }
    if (this.rng.chance(o.readChance)) {
      const n = this.pick(this.liveNodes());
      if (n) {
        const ctx = `r${this.nextRead++}`;
        this.checker.onReadIssued(ctx, this.time);
        if (!n.raw!.tryReadIndex(asciiBytes(ctx))) {
          this.checker.onReadDropped(ctx);
        }
        n.afterInput();
      }
    }
  }

  // ---- main loop -------------------------------------------------------------------

  private stepTime(): void {
    this.time++;
    if (!this.healing) this.injectFaults();
    // Restart crashed members whose downtime is over; stop removed ones after a grace period.
    for (const n of this.nodes.values()) {
      if (!n.alive && !n.stopped && (this.downUntil.get(n.id) ?? 0) <= this.time) n.start();
      if (n.alive && n.removedSelfAt >= 0 && this.time - n.removedSelfAt > 3 * this.opts.electionTick) {
        // Like an etcd member that applied its own removal, it shuts down -- but only once a
        // leader runs without it: in a two-member cluster the survivor may still need its vote.
        const l = this.leader();
        if (l !== undefined && l !== n && !l.raw!.raft.prs.progress.has(n.id)) {
          n.crash();
          n.stopped = true;
          this.trace(`${n.id} stops (removed)`);
        }
      }
    }
    for (const n of this.nodes.values()) {
      if (n.alive && this.rng.chance(n.tickChance)) {
        n.raw!.tick();
        n.afterInput();
        this.drainReports();
      }
    }
    for (const f of this.net.takeDue(this.time)) {
      this.deliver(f.msg);
      this.drainReports();
    }
    this.clientActions();
    this.drainReports();
  }

  /** Members the cluster currently considers part of it (per the highest-term leader). */
  private membersOf(l: SimNode): SimNode[] {
    const cs = l.raw!.raft.prs.confState();
    return [...cs.voters, ...cs.learners].map((id) => this.nodes.get(id)!).filter((n) => n !== undefined);
  }

  /** Liveness: a leader, every proposal applied, every member caught up to the leader. */
  private settled(): boolean {
    if (this.outstanding.size > 0) return false;
    const l = this.leader();
    if (!l) return false;
    const commit = l.raw!.raft.raftLog.committed;
    if (l.applied < commit) return false;
    for (const n of this.membersOf(l)) {
      if (!n.alive || n.applied < commit) return false;
    }
    return true;
  }

  run(): SimResult {
    let violation: string | null = null;
    try {
      for (let i = 0; i < this.opts.chaosSteps; i++) this.stepTime();
      // Heal: perfect network, no new faults, everyone that crashed comes back.
      this.healing = true;
      this.net.heal();
      this.net.faults = { loss: 0, duplicate: 0, maxDelay: this.opts.maxDelay, reorder: this.opts.reorder };
      for (const [id] of this.downUntil) this.downUntil.set(id, 0);
      let ok = false;
      // Progress = something new committed, or some member applied more (catching up).
      const progressMark = (): number => {
        let n = this.checker.maxCommitted;
        for (const m of this.nodes.values()) n += m.applied;
        return n;
      };
      let lastProgressAt = this.time;
      let mark = progressMark();
      for (let i = 0; i < 20 * this.opts.healSteps && !ok && this.time - lastProgressAt < this.opts.healSteps; i++) {
        this.stepTime();
        ok = this.settled();
        const now = progressMark();
        if (now > mark) {
          mark = now;
          lastProgressAt = this.time;
        }
      }
      if (!ok) {
        const l = this.leader();
        throw new Violation(
          `liveness: not settled after healing, no progress for ${this.opts.healSteps} time units (leader=${l?.id ?? 'none'}, ` +
            `outstanding=${this.outstanding.size}, progress=${l ? [...l.raw!.raft.prs.progress].map(([id, p]) => `${id}:${p.toString()}`).join('; ') + ` commit=${l.raw!.raft.raftLog.committed} last=${l.raw!.raft.raftLog.lastIndex()} first=${l.raw!.raft.raftLog.firstIndex()}` : ''}, applied=${[...this.nodes.values()].map((n) => `${n.id}:${n.alive ? n.applied : 'down'}`).join(' ')})`,
        );
      }
    } catch (e) {
      if (e instanceof Violation) violation = e.message;
      else violation = `exception: ${(e as Error).stack ?? String(e)}`;
      this.trace(`VIOLATION ${violation}`);
    }
    return {
      seed: this.seed,
      violation,
      steps: this.time,
      leaders: this.checker.leadersElected,
      committed: this.checker.maxCommitted,
      reads: this.checker.readsChecked,
      acked: this.acked,
      messages: this.net.sent,
      trace: this.traceLines,
    };
  }
}

export function runSeed(seed: number, opts?: { mutations?: RaftMutations; trace?: boolean; options?: SimOptions }): SimResult {
  const o = opts?.options ?? optionsForSeed(seed, opts?.mutations);
  return new World(seed, o, opts?.trace ?? false).run();
}
