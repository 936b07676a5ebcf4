// One tsetcd member: validate → size check → propose → wait for apply → reply, plus the local
// reads and maintenance calls. This is the only place that turns requests into log entries, and
// the apply loop below is the only place that changes the store (etcd's "one apply path").
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary, fromBinary } from '@bufbuild/protobuf';
import {
  type AlarmRequest,
  AlarmRequest_AlarmAction,
  type AlarmResponse,
  AlarmResponseSchema,
  type CompactionRequest,
  type CompactionResponse,
  type DefragmentResponse,
  DefragmentResponseSchema,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type HashKVResponse,
  HashKVResponseSchema,
  type HashResponse,
  HashResponseSchema,
  type Member,
  MemberSchema,
  type MemberListResponse,
  MemberListResponseSchema,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  ResponseHeaderSchema,
  type StatusResponse,
  StatusResponseSchema,
  type TxnRequest,
  type TxnResponse,
  LeaseCheckpointRequestSchema,
  LeaseCheckpointSchema,
  type LeaseGrantRequest,
  LeaseGrantRequestSchema,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  LeaseKeepAliveResponseSchema,
  type LeaseLeasesResponse,
  LeaseLeasesResponseSchema,
  type LeaseRevokeRequest,
  LeaseRevokeRequestSchema,
  type LeaseRevokeResponse,
  LeaseStatusSchema,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
  LeaseTimeToLiveResponseSchema,
} from '../gen/etcdserverpb/rpc_pb.js';
import {
  type InternalRaftRequest,
  InternalRaftRequestSchema,
  RequestHeaderSchema,
} from '../gen/etcdserverpb/raft_internal_pb.js';
import { Backend } from '../backend/backend.js';
import { Lessor, LeaseNotFoundError, generateLeaseId, monotonicClock, cryptoRandom64 } from '../lease/index.js';
import type { Event } from '../gen/mvccpb/kv_pb.js';
import { WatchHub } from '../watch/index.js';
import { Wal } from '../wal/wal.js';
import type { WalState } from '../wal/types.js';
import { MvccStore } from '../mvcc/index.js';
import { ETCD_API_VERSION } from '../version.js';
import { Applier, type ApplyResult, mapStoreError } from './applier.js';
import type { CommittedEntry, Consensus } from './consensus.js';
import { Errors, EtcdError, GrpcCode } from './errors.js';
import { clusterId as deriveClusterId, memberId as deriveMemberId } from './ids.js';
import { ServerMetrics } from './metrics.js';
import { SingleMemberLog } from './single-member-log.js';
import { checkDeleteRequest, checkIntervals, checkPutRequest, checkRangeRequest, checkTxnRequest, isTxnReadOnly } from './validate.js';
import { Waiters } from './waiters.js';

export interface MemberOptions {
  name: string;
  dataDir: string;
  walDir?: string;
  peerUrls: string[]; // this member's advertised peer URLs
  clientUrls: string[]; // this member's advertised client URLs
  initialClusterToken: string;
  maxRequestBytes: number;
  maxTxnOps: number;
  /** Collect process_* default metrics (off in tests that run many members in one process). */
  defaultMetrics?: boolean;
  /** Minimum lease TTL in seconds (etcd derives it from the election timeout). */
  minLeaseTtl?: number;
}

/** What the WAL's opaque metadata records: who this member is, so a restart needs no flags. */
function encodeMetadata(memberId: bigint, clusterId: bigint): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(memberId, 0);
  b.writeBigUInt64BE(clusterId, 8);
  return b;
}

function decodeMetadata(m: Uint8Array, walDir: string): { memberId: bigint; clusterId: bigint } {
  if (m.length !== 16) throw new Error(`WAL in ${walDir} has metadata of ${m.length} bytes, expected 16: not a tsetcd WAL`);
  const b = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
  return { memberId: b.readBigUInt64BE(0), clusterId: b.readBigUInt64BE(8) };
}

export class EtcdServer {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly metrics: ServerMetrics;
  private readonly backend: Backend;
  private readonly store: MvccStore;
  private readonly applier: Applier;
  private readonly consensus: Consensus;
  private readonly waiters = new Waiters<ApplyResult>();
  private readonly lessor: Lessor;
  private leaseTicker: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The watchable side of the store: fed with each committed write txn's events. */
  readonly watchHub: WatchHub;
  /** Open Watch streams (gRPC and gateway), for etcd_debugging_mvcc_watch_stream_total. */
  watchStreams = 0;
  /** Write txns applied in the current backend batch, handed to watchers once it commits. */
  private appliedWrites: Array<{ events: Event[]; rev: number }> = [];

  private constructor(
    readonly opts: MemberOptions,
    backend: Backend,
    store: MvccStore,
    consensus: Consensus,
    memberId: bigint,
    clusterId: bigint,
    metrics: ServerMetrics,
    lessor: Lessor,
  ) {
    this.backend = backend;
    this.store = store;
    this.consensus = consensus;
    this.memberId = memberId;
    this.clusterId = clusterId;
    this.lessor = lessor;
    this.watchHub = new WatchHub(store);
    metrics.watchGauges(() => this.watchHub.stats(), () => this.watchStreams);
    const everything = new Uint8Array([0]);
    metrics.keysFrom(() => store.read().range(everything, everything, { countOnly: true }).count);
    this.applier = new Applier(store, lessor, (events, rev) => void this.appliedWrites.push({ events, rev }));
    this.metrics = metrics;
  }

  static async start(opts: MemberOptions): Promise<EtcdServer> {
    const memberDir = join(opts.dataDir, 'member');
    const snapDir = join(memberDir, 'snap');
    mkdirSync(snapDir, { recursive: true });
    const walDir = opts.walDir ?? join(memberDir, 'wal');
    const metrics = new ServerMetrics({
      serverVersion: ETCD_API_VERSION,
      clusterVersion: ETCD_API_VERSION.split('.').slice(0, 2).join('.'),
      defaultMetrics: opts.defaultMetrics ?? true,
    });
    // A member that has a WAL is who its WAL says it is; bootstrap flags only matter the first time.
    let opened: { wal: Wal; state: WalState | null };
    let memberId: bigint;
    let clusterId: bigint;
    const walMetrics = { fsyncSeconds: (s: number) => metrics.walFsync.observe(s), writeBytes: (n: number) => metrics.walWriteBytes.inc(n) };
    if (await Wal.exists(walDir)) {
      const { wal, state } = await Wal.open(walDir, { metrics: walMetrics });
      ({ memberId, clusterId } = decodeMetadata(state.metadata, walDir));
      opened = { wal, state };
    } else {
      memberId = deriveMemberId(opts.peerUrls, opts.initialClusterToken);
      clusterId = deriveClusterId([memberId]);
      opened = { wal: await Wal.create(walDir, encodeMetadata(memberId, clusterId), { metrics: walMetrics }), state: null };
    }
    // Member ids are known only after the WAL is read; the metric that names it is set then.
    metrics.setMemberId(memberId.toString(16));
    let backend: Backend | null = null;
    try {
      backend = Backend.open(join(snapDir, 'db'));
      const store = MvccStore.open(backend);
      const lessor = Lessor.restore(backend, store, monotonicClock, { minTtl: opts.minLeaseTtl });
      const consensus = new SingleMemberLog({ opened, memberId, appliedIndex: backend.readConsistentIndex().index });
      const s = new EtcdServer(opts, backend, store, consensus, memberId, clusterId, metrics, lessor);
      await consensus.start({
        apply: (entries) => s.applyBatch(entries),
        fail: (entries, err) => {
          for (const e of entries) s.failEntry(e, err);
        },
      });
      s.metrics.hasLeader.set(1);
      s.metrics.isLeader.set(1);
      s.refreshSizeMetrics();
      // A single member leads from the start: its lessor owns expiry (no extension needed).
      lessor.promote(0);
      s.startLeaseTicker();
      return s;
    } catch (e) {
      // Leave nothing open (the WAL lock, the LMDB environment) so the caller can retry or exit.
      await opened.wal.close().catch(() => undefined);
      backend?.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- apply loop

  /** Applies one committed batch in a single backend transaction, with the consistent index. */
  private applyBatch(entries: CommittedEntry[]): void {
    const results: Array<[number, ApplyResult]> = [];
    const t0 = process.hrtime.bigint();
    this.appliedWrites = [];
    this.backend.batch(() => {
      for (const e of entries) {
        if (e.data.length === 0) continue;
        const req = (e.local as InternalRaftRequest | undefined) ?? fromBinary(InternalRaftRequestSchema, e.data);
        const result = this.applier.apply(req);
        const id = Number(req.header?.ID ?? 0n);
        if (this.waiters.has(id)) results.push([id, result]);
      }
      const last = entries[entries.length - 1];
      if (last) this.backend.setConsistentIndex(last.index, last.term);
    });
    this.metrics.backendCommit.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    // Watchers see a write only once it is committed to the backend (an aborted batch notifies no one).
    const writes = this.appliedWrites;
    this.appliedWrites = [];
    for (const w of writes) this.watchHub.notify(w.events, w.rev);
    this.metrics.proposalsCommitted.inc(entries.length);
    this.metrics.proposalsApplied.inc(entries.length);
    this.metrics.proposalsPending.dec(results.length);
    for (const [id, r] of results) this.waiters.resolve(id, r);
  }

  private failEntry(e: CommittedEntry, err: Error): void {
    const req = e.local as InternalRaftRequest | undefined;
    const id = Number(req?.header?.ID ?? 0n);
    this.metrics.proposalsFailed.inc();
    this.metrics.proposalsPending.dec();
    this.waiters.reject(id, new EtcdError(GrpcCode.Unavailable, `etcdserver: ${err.message}`));
  }

  /** Encodes, size-checks and proposes a request, then waits for its applied result. */
  private async propose(fill: (r: InternalRaftRequest) => void): Promise<ApplyResult> {
    if (this.stopped) throw Errors.stopped();
    const { id, done } = this.waiters.register();
    const req = create(InternalRaftRequestSchema, { header: create(RequestHeaderSchema, { ID: BigInt(id) }) });
    fill(req);
    const data = toBinary(InternalRaftRequestSchema, req);
    if (data.length > this.opts.maxRequestBytes) {
      this.waiters.reject(id, Errors.requestTooLarge());
      return done;
    }
    this.metrics.proposalsPending.inc();
    this.consensus.propose(data, req);
    const result = await done;
    if (result.kind === 'error') throw result.error;
    return result;
  }

  // ---------------------------------------------------------------- KV

  async range(r: RangeRequest): Promise<RangeResponse> {
    checkRangeRequest(r);
    this.metrics.rangeTotal.inc();
    // A single member has applied every acknowledged write, so a local read is linearizable.
    const resp = wrap(() => this.applier.range(this.store.read(), r));
    return this.withHeader(resp);
  }

  async put(r: PutRequest): Promise<PutResponse> {
    checkPutRequest(r);
    this.metrics.putTotal.inc();
    const res = await this.propose((q) => (q.put = r));
    if (res.kind !== 'put') throw unexpected(res);
    return this.withHeader(res.resp);
  }

  async deleteRange(r: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    checkDeleteRequest(r);
    this.metrics.deleteTotal.inc();
    const res = await this.propose((q) => (q.deleteRange = r));
    if (res.kind !== 'deleteRange') throw unexpected(res);
    return this.withHeader(res.resp);
  }

  async txn(r: TxnRequest): Promise<TxnResponse> {
    checkTxnRequest(r, this.opts.maxTxnOps);
    checkIntervals(r.success);
    checkIntervals(r.failure);
    this.metrics.txnTotal.inc();
    if (isTxnReadOnly(r)) {
      // Read-only txns are served locally like ranges (etcd does the same).
      const local = this.applier.apply(create(InternalRaftRequestSchema, { txn: r }));
      if (local.kind === 'error') throw local.error;
      if (local.kind !== 'txn') throw unexpected(local);
      return this.withHeader(local.resp);
    }
    const res = await this.propose((q) => (q.txn = r));
    if (res.kind !== 'txn') throw unexpected(res);
    return this.withHeader(res.resp);
  }

  async compact(r: CompactionRequest): Promise<CompactionResponse> {
    const res = await this.propose((q) => (q.compaction = r));
    if (res.kind !== 'compaction') throw unexpected(res);
    if (r.physical) await res.physicalDone;
    return this.withHeader(res.resp);
  }

  // ---------------------------------------------------------------- leases

  async leaseGrant(r: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    // The proposer picks the id so every member applies the same one (etcd does the same).
    const ID = r.ID !== 0n ? r.ID : generateLeaseId((id) => this.lessor.lookup(id) !== undefined, cryptoRandom64);
    const res = await this.propose((q) => (q.leaseGrant = create(LeaseGrantRequestSchema, { ID, TTL: r.TTL })));
    if (res.kind !== 'leaseGrant') throw unexpected(res);
    return this.withHeader(res.resp);
  }

  async leaseRevoke(r: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    const res = await this.propose((q) => (q.leaseRevoke = r));
    if (res.kind !== 'leaseRevoke') throw unexpected(res);
    return this.withHeader(res.resp);
  }

  /** A keepalive: renews on the leader (no log entry); an unknown lease answers TTL 0 like etcd. */
  leaseKeepAlive(id: bigint): LeaseKeepAliveResponse {
    let ttl = 0;
    try {
      ttl = this.lessor.renew(id);
    } catch (e) {
      if (!(e instanceof LeaseNotFoundError)) throw e;
    }
    return this.withHeader(create(LeaseKeepAliveResponseSchema, { ID: id, TTL: BigInt(ttl) }));
  }

  leaseTimeToLive(r: LeaseTimeToLiveRequest): LeaseTimeToLiveResponse {
    const t = this.lessor.timeToLive(r.ID, r.keys);
    // etcd answers a missing lease with TTL -1 rather than an error.
    return this.withHeader(
      create(LeaseTimeToLiveResponseSchema, {
        ID: r.ID,
        TTL: BigInt(t.ttl),
        grantedTTL: BigInt(t.grantedTtl),
        keys: t.keys,
      }),
    );
  }

  leaseLeases(): LeaseLeasesResponse {
    return this.withHeader(
      create(LeaseLeasesResponseSchema, { leases: this.lessor.leases().map((ID) => create(LeaseStatusSchema, { ID })) }),
    );
  }

  /**
   * The leader's lease duties, every 500 ms: propose revokes for expired leases (a revoke is a log
   * entry, so every member deletes the keys at the same revision) and checkpoints of remaining
   * TTLs (so a restart or leader change neither extends nor cuts a lease).
   */
  private startLeaseTicker(): void {
    this.leaseTicker = setInterval(() => {
      if (this.stopped) return;
      for (const ID of this.lessor.expired()) {
        this.metrics.leaseExpired.inc();
        this.propose((q) => (q.leaseRevoke = create(LeaseRevokeRequestSchema, { ID }))).catch(() => undefined);
      }
      const due = this.lessor.checkpointsDue();
      if (due.length > 0) {
        const checkpoints = due.map((c) => create(LeaseCheckpointSchema, { ID: c.id, remainingTTL: BigInt(c.remainingTtl) }));
        this.propose((q) => (q.leaseCheckpoint = create(LeaseCheckpointRequestSchema, { checkpoints }))).catch(() => undefined);
      }
    }, 500);
    this.leaseTicker.unref();
  }

  // ---------------------------------------------------------------- maintenance & cluster

  status(): StatusResponse {
    const st = this.consensus.status();
    this.refreshSizeMetrics();
    return this.withHeader(
      create(StatusResponseSchema, {
        version: ETCD_API_VERSION,
        dbSize: BigInt(this.backend.size()),
        dbSizeInUse: BigInt(this.backend.sizeInUse()),
        leader: st.leader,
        raftIndex: BigInt(st.commitIndex),
        raftTerm: BigInt(st.term),
        raftAppliedIndex: BigInt(st.appliedIndex),
        isLearner: st.isLearner,
        errors: [],
      }),
    );
  }

  hash(): HashResponse {
    return this.withHeader(create(HashResponseSchema, { hash: this.store.hash() }));
  }

  hashKV(rev: bigint): HashKVResponse {
    const h = wrap(() => this.store.hashKV(Number(rev)));
    return this.withHeader(
      create(HashKVResponseSchema, {
        hash: h.hash,
        compactRevision: BigInt(h.compactRevision),
        hashRevision: BigInt(h.hashRevision),
      }),
    );
  }

  async defragment(): Promise<DefragmentResponse> {
    await this.backend.defrag();
    this.refreshSizeMetrics();
    return this.withHeader(create(DefragmentResponseSchema, {}));
  }

  alarm(r: AlarmRequest): AlarmResponse {
    if (r.action !== AlarmRequest_AlarmAction.GET) {
      throw new EtcdError(GrpcCode.Unimplemented, 'tsetcd: activating or deactivating alarms is not implemented yet');
    }
    // etcd's Alarm response carries no header (etcdctl relies on that).
    return create(AlarmResponseSchema, { alarms: [] });
  }

  self(): Member {
    return create(MemberSchema, {
      ID: this.memberId,
      name: this.opts.name,
      peerURLs: this.opts.peerUrls,
      clientURLs: this.opts.clientUrls,
      isLearner: false,
    });
  }

  memberList(): MemberListResponse {
    // etcd's cluster service headers carry no revision.
    return create(MemberListResponseSchema, { header: this.header(false), members: [this.self()] });
  }

  isHealthy(): boolean {
    return !this.stopped && this.consensus.status().leader !== 0n;
  }

  currentRevision(): number {
    return this.store.read().rev;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.leaseTicker) clearInterval(this.leaseTicker);
    await this.consensus.stop();
    this.waiters.rejectAll(Errors.stopped());
    this.watchHub.close();
    this.lessor.close();
    this.backend.close();
  }

  /**
   * cluster_id, member_id and raft_term for responses that set their own revision (Watch).
   * Shared and cached: callers copy it (create(..., {...base, revision})) and never mutate it.
   */
  baseHeader(): ResponseHeader {
    // Watch streams call this per response; the header only changes with the term.
    const term = this.consensus.status().term;
    if (this.cachedBase === null || this.cachedBaseTerm !== term) {
      this.cachedBase = create(ResponseHeaderSchema, { clusterId: this.clusterId, memberId: this.memberId, raftTerm: BigInt(term) });
      this.cachedBaseTerm = term;
    }
    return this.cachedBase;
  }
  private cachedBase: ResponseHeader | null = null;
  private cachedBaseTerm = -1;

  // ---------------------------------------------------------------- helpers

  private refreshSizeMetrics(): void {
    this.metrics.dbTotalSize.set(this.backend.size());
    this.metrics.dbTotalSizeInUse.set(this.backend.sizeInUse());
  }

  private header(withRevision: boolean): ResponseHeader {
    return create(ResponseHeaderSchema, {
      clusterId: this.clusterId,
      memberId: this.memberId,
      raftTerm: BigInt(this.consensus.status().term),
      revision: withRevision ? BigInt(this.store.read().rev) : 0n,
    });
  }

  /** Fills cluster_id, member_id and raft_term; keeps an applied revision, else the current one. */
  private withHeader<T extends { header?: ResponseHeader }>(resp: T): T {
    const h = resp.header;
    const revision = h && h.revision !== 0n ? h.revision : BigInt(this.store.read().rev);
    resp.header = create(ResponseHeaderSchema, {
      clusterId: this.clusterId,
      memberId: this.memberId,
      raftTerm: BigInt(this.consensus.status().term),
      revision,
    });
    return resp;
  }
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw mapStoreError(e);
  }
}

function unexpected(r: ApplyResult): Error {
  return new EtcdError(GrpcCode.Internal, `tsetcd: unexpected apply result ${r.kind}`);
}
