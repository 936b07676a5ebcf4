// A small in-memory cluster for readable scenario tests: every member is a RawNode over a
// MemoryStorage, and messages sit in a mailbox until the test delivers them, so a test
// reads like a transcript ("isolate 1, tick 3 until it campaigns, deliver, ...").
// Unlike the simulator, nothing here is random except the seeded election jitter.

import {
  ConfChangeType,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  type RaftConfig,
  type RaftMutations,
  RawNode,
  type ReadState,
  Sfc32,
  StateRole,
  MemoryStorage,
  bootstrapLog,
  decodeConfChange,
} from '../../../src/raft/index.js';

export interface MemberOptions {
  electionTick?: number;
  heartbeatTick?: number;
  checkQuorum?: boolean;
  preVote?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  mutations?: RaftMutations;
}

export class Member {
  readonly storage: MemoryStorage;
  raw: RawNode;
  /** Normal entries applied, in order (data as text). */
  readonly applied: string[] = [];
  readonly readStates: ReadState[] = [];
  appliedIndex = 0;

  constructor(readonly id: NodeId, storage: MemoryStorage, private readonly config: Omit<RaftConfig, 'id' | 'storage' | 'rand'>) {
    this.storage = storage;
    this.raw = this.newRawNode();
  }

  private newRawNode(): RawNode {
    return new RawNode({ ...this.config, id: this.id, storage: this.storage, rand: new Sfc32(Number(this.id)), applied: this.appliedIndex });
  }

  get raft() {
    return this.raw.raft;
  }

  get role(): StateRole {
    return this.raw.raft.state;
  }

  get term(): number {
    return this.raw.raft.term;
  }

  /** Restarts from what is in storage (everything this harness persists is durable). */
  restart(): void {
    this.raw = this.newRawNode();
  }
}

export class Cluster {
  readonly members = new Map<NodeId, Member>();
  /** Messages sent and not yet delivered. */
  mailbox: Message[] = [];
  /** Directed links that drop messages. */
  private cut = new Set<string>();
  /** Members whose messages (both ways) are dropped entirely. */
  private down = new Set<NodeId>();
  /** Message types to drop (e.g. to stall a follower). */
  dropTypes = new Set<MessageType>();
  /** Extra filter: return false to drop a message. */
  filter: ((m: Message) => boolean) | null = null;
  /** Every message that went out, for assertions on traffic. */
  readonly sent: Message[] = [];

  constructor(private readonly opts: MemberOptions = {}) {}

  /** A fresh cluster with these voters and learners (ids 1..n by default). */
  static start(voters: number[], learners: number[] = [], opts: MemberOptions = {}): Cluster {
    const c = new Cluster(opts);
    const b = bootstrapLog(voters.map(BigInt), learners.map(BigInt));
    for (const id of [...voters, ...learners]) {
      const storage = new MemoryStorage();
      storage.append(b.entries);
      storage.setHardState(b.hardState);
      c.addMember(BigInt(id), storage);
    }
    c.stabilize();
    return c;
  }

  /** Adds a process (not a membership change): e.g. an empty node about to join. */
  addMember(id: NodeId, storage: MemoryStorage = new MemoryStorage()): Member {
    const o = this.opts;
    const m = new Member(id, storage, {
      electionTick: o.electionTick ?? 10,
      heartbeatTick: o.heartbeatTick ?? 1,
      checkQuorum: o.checkQuorum ?? false,
      preVote: o.preVote ?? false,
      maxSizePerMsg: o.maxSizePerMsg ?? 1024 * 1024,
      maxInflightMsgs: o.maxInflightMsgs ?? 256,
      mutations: o.mutations,
    });
    this.members.set(id, m);
    return m;
  }

  get(id: number | NodeId): Member {
    const m = this.members.get(BigInt(id));
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  // ---- faults --------------------------------------------------------------------------

  /** Cuts every link between a and b (both directions). */
  partition(a: number[], b: number[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  /** Cuts only from -> to. */
  cutOneWay(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  isolate(id: number): void {
    const others = [...this.members.keys()].map(Number).filter((x) => x !== id);
    this.partition([id], others);
  }

  /** Restores every link (crashed members stay down until restart()). */
  heal(): void {
    this.cut.clear();
    this.dropTypes.clear();
    this.filter = null;
  }

  /** Stops a member (it neither sends nor receives) until restart(). */
  crash(id: number): void {
    this.down.add(BigInt(id));
    this.mailbox = this.mailbox.filter((m) => m.to !== BigInt(id));
  }

  /** Restarts a crashed member from its storage. */
  restart(id: number): void {
    this.down.delete(BigInt(id));
    this.get(id).restart();
  }

  // ---- driving -------------------------------------------------------------------------

  /** Persists, sends and applies every pending Ready of member id. */
  processReady(id: NodeId): void {
    const m = this.members.get(id)!;
    if (this.down.has(id)) return;
    for (let i = 0; i < 100 && m.raw.hasReady(); i++) {
      const rd = m.raw.ready();
      if (rd.snapshot) {
        m.storage.applySnapshot(rd.snapshot);
        m.appliedIndex = rd.snapshot.metadata.index;
      }
      m.storage.append(rd.entries);
      if (rd.hardState) m.storage.setHardState(rd.hardState);
      for (const msg of rd.messages) this.send(msg);
      for (const e of rd.committedEntries) this.apply(m, e);
      m.readStates.push(...rd.readStates);
      m.raw.advance(rd);
    }
  }

  private apply(m: Member, e: Entry): void {
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      m.raw.applyConfChange(cc);
      if ((cc.type === ConfChangeType.AddNode || cc.type === ConfChangeType.AddLearnerNode) && !this.members.has(cc.nodeId)) {
        this.addMember(cc.nodeId);
      }
    } else if (e.data.length > 0) {
      m.applied.push(new TextDecoder().decode(e.data));
    }
    m.appliedIndex = e.index;
  }

  private send(msg: Message): void {
    this.sent.push(msg);
    if (this.down.has(msg.from) || this.down.has(msg.to)) return;
    if (this.filter !== null && !this.filter(msg)) return;
    if (this.cut.has(`${msg.from}>${msg.to}`)) return;
    if (this.dropTypes.has(msg.type)) return;
    this.mailbox.push(msg);
  }

  /** Delivers the mailbox in FIFO order until it is empty (bounded), processing Readies. */
  stabilize(maxRounds = 1000): void {
    for (const id of this.members.keys()) this.processReady(id);
    for (let round = 0; round < maxRounds && this.mailbox.length > 0; round++) {
      const batch = this.mailbox;
      this.mailbox = [];
      for (const msg of batch) this.deliver(msg);
    }
    if (this.mailbox.length > 0) throw new Error(`not stable after ${maxRounds} rounds`);
  }

  deliver(msg: Message): void {
    const to = this.members.get(msg.to);
    if (!to || this.down.has(msg.to)) return;
    if (msg.type === MessageType.Snap) {
      to.raw.step(msg);
      this.processReady(msg.to);
      const from = this.members.get(msg.from);
      if (from && !this.down.has(msg.from)) {
        from.raw.reportSnapshot(msg.to, true);
        this.processReady(msg.from);
      }
      return;
    }
    to.raw.step(msg);
    this.processReady(msg.to);
  }

  tick(id: number, times = 1): void {
    const m = this.get(id);
    for (let i = 0; i < times; i++) {
      m.raw.tick();
      this.processReady(m.id);
    }
  }

  /** Ticks every live member `times` times, delivering messages after each tick. */
  tickAll(times: number): void {
    for (let i = 0; i < times; i++) {
      for (const [id, m] of this.members) {
        if (this.down.has(id)) continue;
        m.raw.tick();
        this.processReady(id);
      }
      this.stabilize();
    }
  }

  campaign(id: number): void {
    this.get(id).raw.campaign();
    this.processReady(BigInt(id));
    this.stabilize();
  }

  propose(id: number, text: string): void {
    this.get(id).raw.propose(new TextEncoder().encode(text));
    this.processReady(BigInt(id));
  }

  leader(): Member | undefined {
    let best: Member | undefined;
    for (const [id, m] of this.members) {
      if (this.down.has(id) || m.role !== StateRole.Leader) continue;
      if (!best || m.term > best.term) best = m;
    }
    return best;
  }

  /** The applied normal entries of every live member, for "all agree" assertions. */
  appliedBy(id: number): string[] {
    return this.get(id).applied;
  }
}
