// Membership changes: etcd's Cluster RPCs (MemberAdd/Remove/Update/Promote) and MoveLeader, the
// checks etcd makes before proposing them (--strict-reconfig-check, learner readiness), and the
// apply side of a committed conf change (the member registry, then the proposer's waiter).
import { create } from '@bufbuild/protobuf';
import {
  type Member,
  MemberSchema,
  type MemberAddRequest,
  type MemberAddResponse,
  MemberAddResponseSchema,
  type MemberRemoveRequest,
  type MemberRemoveResponse,
  MemberRemoveResponseSchema,
  type MemberUpdateRequest,
  type MemberUpdateResponse,
  MemberUpdateResponseSchema,
  type MemberPromoteRequest,
  type MemberPromoteResponse,
  MemberPromoteResponseSchema,
  type MoveLeaderRequest,
  type MoveLeaderResponse,
  MoveLeaderResponseSchema,
  type ResponseHeader,
} from '../gen/etcdserverpb/rpc_pb.js';
import { ConfChangeType, type ConfChange } from '../raft/index.js';
import type { PeerTransport } from '../peer/transport.js';
import { Errors, EtcdError, GrpcCode } from './errors.js';
import { canonicalUrl, memberId as deriveMemberId } from './ids.js';
import { type MemberInfo, type Membership, decodeMemberJson, encodeMemberJson } from './membership.js';
import type { RaftNode } from './raft-node.js';

/** What the reconfiguration logic needs from its member. */
export interface ReconfigHost {
  readonly memberId: bigint;
  readonly membership: Membership;
  readonly consensus: RaftNode;
  readonly transport: PeerTransport | null;
  readonly strictReconfigCheck: boolean;
  readonly heartbeatMs: number;
  readonly requestTimeoutMs: number;
  isStopped(): boolean;
  /** This member applied its own removal. */
  onRemovedSelf(): void;
  header(withRevision: boolean): ResponseHeader;
}

export class Reconfiguration {
  /** Membership changes proposed here, by "<type>:<member id>", waiting for their apply. */
  private readonly confWaiters = new Map<string, Array<() => void>>();

  constructor(private readonly host: ReconfigHost) {}

  /** Applies a committed membership change to the member registry (inside the apply batch). */
  applyConfChange(cc: ConfChange): void {
    const ctx = cc.context.length > 0 ? decodeMemberJson(Buffer.from(cc.context).toString('utf8')) : null;
    switch (cc.type) {
      case ConfChangeType.AddNode: {
        const m = this.host.membership.get(cc.nodeId);
        if (m && m.isLearner) this.host.membership.promote(cc.nodeId);
        else if (ctx) this.host.membership.add({ ...ctx, id: cc.nodeId, isLearner: false });
        break;
      }
      case ConfChangeType.AddLearnerNode:
        if (ctx) this.host.membership.add({ ...ctx, id: cc.nodeId, isLearner: true });
        break;
      case ConfChangeType.RemoveNode:
        this.host.membership.remove(cc.nodeId);
        if (cc.nodeId === this.host.memberId) setImmediate(() => this.host.onRemovedSelf());
        break;
      case ConfChangeType.UpdateNode:
        if (ctx) this.host.membership.updatePeerUrls(cc.nodeId, ctx.peerURLs);
        break;
    }
    const key = `${cc.type}:${cc.nodeId}`;
    const ws = this.confWaiters.get(key);
    if (ws) {
      this.confWaiters.delete(key);
      for (const w of ws) w();
    }
  }

  /** Proposes a membership change and waits until it is applied here (or times out). */
  private async proposeConfChange(type: ConfChangeType, nodeId: bigint, member: MemberInfo | null): Promise<void> {
    if (this.host.isStopped()) throw Errors.stopped();
    const key = `${type}:${nodeId}`;
    const applied = new Promise<void>((resolve) => {
      const list = this.confWaiters.get(key);
      if (list) list.push(resolve);
      else this.confWaiters.set(key, [resolve]);
    });
    const context = member ? Buffer.from(encodeMemberJson(member), 'utf8') : new Uint8Array(0);
    try {
      this.host.consensus.proposeConfChange({ type, nodeId, context });
      await this.withTimeout(applied);
    } finally {
      // A refused or timed-out change leaves no waiter behind.
      this.confWaiters.delete(key);
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Errors.timeout()), this.host.requestTimeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  memberMessages(): Member[] {
    return this.host.membership.list().map(toMemberMessage);
  }

  /** etcd refuses membership changes from a learner and while no leader is known. */
  private checkCanReconfigure(): void {
    if (this.host.consensus.status().isLearner) throw Errors.notSupportedForLearner();
    if (this.host.consensus.status().leader === 0n) throw Errors.noLeader();
  }

  // ------------------------------------------------ --strict-reconfig-check (etcd's rules)

  /** A peer connected for at least etcd's HealthInterval (5 s) counts as healthy. */
  private connectedSince(id: bigint, since: number): boolean {
    if (id === this.host.memberId) return true;
    const t = this.host.transport?.activeSince(id) ?? 0;
    return t !== 0 && t < since;
  }

  private numConnectedSince(since: number): number {
    return this.host.membership.voters().filter((m) => this.connectedSince(m.id, since)).length;
  }

  /** Started = has published its name. `extraMembers`/`extraStarted` count a member being added or promoted. */
  private enoughStarted(skip: bigint | null, extraMembers: number, extraStarted: number): boolean {
    let members = extraMembers;
    let started = extraStarted;
    for (const m of this.host.membership.voters()) {
      if (m.id === skip) continue;
      members++;
      if (m.name !== '') started++;
    }
    // Growing a one-member cluster (etcd's restore procedure) is always allowed.
    if (skip === null && extraMembers === 1 && extraStarted === 0 && members === 2 && started === 1) return true;
    return started >= Math.floor(members / 2) + 1;
  }

  private mayAddMember(isLearner: boolean): void {
    if (this.host.strictReconfigCheck === false || isLearner) return;
    if (!this.enoughStarted(null, 1, 0)) throw Errors.memberNotEnoughStarted();
    const voters = this.host.membership.voters();
    if (this.numConnectedSince(Date.now() - HEALTH_INTERVAL_MS) !== voters.length) throw Errors.unhealthy();
  }

  private mayRemoveMember(id: bigint): void {
    if (this.host.strictReconfigCheck === false) return;
    if (this.host.membership.get(id)?.isLearner) return;
    if (!this.enoughStarted(id, 0, 0)) throw Errors.memberNotEnoughStarted();
    // A member that is down is not part of the active quorum: removing it is safe.
    if (id !== this.host.memberId && (this.host.transport?.activeSince(id) ?? 0) === 0) return;
    const voters = this.host.membership.voters();
    const active = this.numConnectedSince(Date.now() - HEALTH_INTERVAL_MS);
    if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw Errors.unhealthy();
  }

  async memberAdd(r: MemberAddRequest): Promise<MemberAddResponse> {
    this.checkCanReconfigure();
    let urls: string[];
    try {
      urls = r.peerURLs.map((u) => {
        const p = new URL(u);
        if (p.protocol !== 'http:' && p.protocol !== 'https:') throw new Error('scheme');
        if (p.port === '' || p.hostname === '') throw new Error('host:port');
        return canonicalUrl(u);
      });
    } catch {
      throw Errors.memberBadURLs();
    }
    if (urls.length === 0) throw Errors.memberBadURLs();
    const taken = new Set(this.host.membership.list().flatMap((m) => m.peerURLs.map(canonicalUrl)));
    if (urls.some((u) => taken.has(u))) throw Errors.peerURLExist();
    if (r.isLearner && this.host.membership.list().filter((m) => m.isLearner).length >= 1) throw Errors.tooManyLearners();
    const id = deriveMemberId(urls, '', Math.floor(Date.now() / 1000));
    if (this.host.membership.get(id) !== undefined || this.host.membership.isRemoved(id)) throw Errors.memberExist();
    const m: MemberInfo = { id, name: '', peerURLs: urls, clientURLs: [], isLearner: r.isLearner };
    this.mayAddMember(r.isLearner);
    await this.proposeConfChange(r.isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, id, m);
    return create(MemberAddResponseSchema, { header: this.host.header(false), member: toMemberMessage(m), members: this.memberMessages() });
  }

  async memberRemove(r: MemberRemoveRequest): Promise<MemberRemoveResponse> {
    this.checkCanReconfigure();
    if (this.host.membership.isRemoved(r.ID)) throw Errors.memberNotFound();
    if (this.host.membership.get(r.ID) === undefined) throw Errors.memberNotFound();
    this.mayRemoveMember(r.ID);
    await this.proposeConfChange(ConfChangeType.RemoveNode, r.ID, null);
    return create(MemberRemoveResponseSchema, { header: this.host.header(false), members: this.memberMessages() });
  }

  async memberUpdate(r: MemberUpdateRequest): Promise<MemberUpdateResponse> {
    this.checkCanReconfigure();
    const m = this.host.membership.get(r.ID);
    if (m === undefined) throw Errors.memberNotFound();
    let urls: string[];
    try {
      urls = r.peerURLs.map(canonicalUrl);
    } catch {
      throw Errors.memberBadURLs();
    }
    const taken = new Set(this.host.membership.list().filter((x) => x.id !== r.ID).flatMap((x) => x.peerURLs.map(canonicalUrl)));
    if (urls.some((u) => taken.has(u))) throw Errors.peerURLExist();
    await this.proposeConfChange(ConfChangeType.UpdateNode, r.ID, { ...m, peerURLs: urls });
    return create(MemberUpdateResponseSchema, { header: this.host.header(false), members: this.memberMessages() });
  }

  async memberPromote(r: MemberPromoteRequest): Promise<MemberPromoteResponse> {
    this.checkCanReconfigure();
    const st = this.host.consensus.status();
    if (st.leader !== this.host.memberId) {
      // Only the leader knows how far the learner got: forward, as etcd does over the peer port.
      const res = await this.host.transport!.request(st.leader, `/members/promote/${r.ID.toString(16)}`, new Uint8Array(0), this.host.requestTimeoutMs);
      if (res.status !== 200) throw errorFromMessage(res.body.toString('utf8'));
      return create(MemberPromoteResponseSchema, { header: this.host.header(false), members: this.memberMessages() });
    }
    const m = this.host.membership.get(r.ID);
    if (m === undefined) throw Errors.memberNotFound();
    if (!m.isLearner) throw Errors.memberNotLearner();
    // etcd's rule: the learner's match index must be at least 90% of the leader's.
    const progress = this.host.consensus.progress();
    const learner = progress.get(r.ID);
    const leaderMatch = progress.get(this.host.memberId)?.match ?? 0;
    if (learner === undefined || learner.match < leaderMatch * 0.9) throw Errors.learnerNotReady();
    if (this.host.strictReconfigCheck !== false && !this.enoughStarted(null, 1, 1)) throw Errors.memberNotEnoughStarted();
    await this.proposeConfChange(ConfChangeType.AddNode, r.ID, { ...m, isLearner: false });
    return create(MemberPromoteResponseSchema, { header: this.host.header(false), members: this.memberMessages() });
  }

  /** etcd answers MoveLeader with an empty response (no header). */
  async moveLeader(r: MoveLeaderRequest): Promise<MoveLeaderResponse> {
    const st = this.host.consensus.status();
    if (st.leader !== this.host.memberId) throw Errors.notLeader();
    const target = this.host.membership.get(r.targetID);
    if (target === undefined || target.isLearner) throw Errors.badLeaderTransferee();
    if (r.targetID === this.host.memberId) return create(MoveLeaderResponseSchema, {});
    this.host.consensus.transferLeader(r.targetID);
    // Wait (bounded) until the transferee leads.
    const deadline = Date.now() + this.host.requestTimeoutMs;
    while (this.host.consensus.status().leader !== r.targetID) {
      if (Date.now() > deadline) throw Errors.timeout();
      if (this.host.isStopped()) throw Errors.stopped();
      await new Promise((res) => setTimeout(res, this.host.heartbeatMs));
    }
    return create(MoveLeaderResponseSchema, {});
  }
}

/** etcd's HealthInterval: how long a peer must have been connected to count for reconfiguration. */
const HEALTH_INTERVAL_MS = 5000;

function toMemberMessage(m: MemberInfo): Member {
  return create(MemberSchema, { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner });
}

/** An etcd error forwarded as its message text (member promote via the leader). */
function errorFromMessage(text: string): EtcdError {
  for (const f of Object.values(Errors)) {
    const e = f();
    if (e.message === text) return e;
  }
  return new EtcdError(GrpcCode.Unknown, text);
}
