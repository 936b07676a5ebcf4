// One tsetcd member: validate → size check → propose → wait for apply → reply, plus the local
// reads and maintenance calls. This is the only place that turns requests into log entries, and
// the apply loop below is the only place that changes the store (etcd's "one apply path").
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import type { SecureClientSessionOptions, SecureServerOptions } from 'node:http2';
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
  LeaseTimeToLiveRequestSchema,
  LeaseKeepAliveRequestSchema,
  type MemberPromoteRequest,
  type MemberListRequest,
} from '../gen/etcdserverpb/rpc_pb.js';
import {
  type InternalRaftRequest,
  InternalRaftRequestSchema,
  RequestHeaderSchema,
  ClusterMemberAttrSetRequestSchema,
  MemberAttributesSchema,
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
import type { CommittedEntry } from './consensus.js';
import { Errors, EtcdError, GrpcCode } from './errors.js';
import { canonicalUrl } from './ids.js';
import { ServerMetrics } from './metrics.js';
import { RaftNode } from './raft-node.js';
import { Membership, type MemberInfo } from './membership.js';
import { Reconfiguration } from './reconfig.js';
import { planBootstrap, encodeMemberList } from './cluster-bootstrap.js';
import { PeerTransport } from '../peer/transport.js';
import { snapDbPath } from './snap-files.js';
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
  /** --heartbeat-interval and --election-timeout, in ms (etcd's defaults 100 and 1000). */
  heartbeatMs?: number;
  electionMs?: number;
  /** --snapshot-count (etcd's default 100,000). */
  snapshotCount?: number;
  /** Entries kept in memory behind a snapshot for lagging followers (etcd: 5,000; tests use fewer). */
  snapshotCatchUpEntries?: number;
  /** --initial-cluster as name → peer URLs (default: this member alone). */
  initialCluster?: ReadonlyMap<string, readonly string[]>;
  initialClusterState?: 'new' | 'existing';
  /** --listen-peer-urls (none: no peer listener, fine for a member that stays alone). */
  listenPeerUrls?: readonly URL[];
  /** --strict-reconfig-check (default true): refuse membership changes that could lose quorum. */
  strictReconfigCheck?: boolean;
  /** Peer TLS material (from --peer-cert-file and friends). */
  peerTls?: { server: SecureServerOptions; client: SecureClientSessionOptions };
  /** Called once this member applied its own removal from the cluster. */
  onRemoved?: () => void;
  /** Warnings from the cluster layer (peer transport). */
  warn?: (fields: Record<string, unknown>, msg: string) => void;
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
  private consensus!: RaftNode;
  private transport: PeerTransport | null = null;
  readonly membership: Membership;
  private readonly waiters = new Waiters<ApplyResult>();
  /** Request ids are unique across members and restarts (etcd's generator layout). */
  private readonly idBase: bigint;
  /** Membership changes: the Cluster RPCs, MoveLeader, and applying conf changes. */
  readonly reconfig: Reconfiguration;
  private readonly lessor: Lessor;
  private leaseTicker: NodeJS.Timeout | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private removedSelf = false;
  /** The watchable side of the store: fed with each committed write txn's events. */
  readonly watchHub: WatchHub;
  /** Open Watch streams (gRPC and gateway), for etcd_debugging_mvcc_watch_stream_total. */
  watchStreams = 0;
  /** Write txns applied in the current backend batch, handed to watchers once it commits. */
  private appliedWrites: Array<{ events: Event[]; rev: number }> = [];
  private readonly heartbeatMs: number;
  private readonly electionMs: number;
  /** The last log index applied to the backend: entries at or below it are skipped (replays, snapshots). */
  private consistentIndex = 0;
  private snapDir = '';
  private readonly requestTimeoutMs: number;

  private constructor(
    readonly opts: MemberOptions,
    backend: Backend,
    store: MvccStore,
    memberId: bigint,
    clusterId: bigint,
    metrics: ServerMetrics,
    lessor: Lessor,
  ) {
    this.backend = backend;
    this.store = store;
    this.memberId = memberId;
    this.clusterId = clusterId;
    this.lessor = lessor;
    this.membership = Membership.load(backend);
    this.heartbeatMs = opts.heartbeatMs ?? 100;
    this.electionMs = opts.electionMs ?? 1000;
    this.requestTimeoutMs = 5000 + 2 * this.electionMs;
    this.idBase = ((memberId & 0xffffn) << 48n) | ((BigInt(Date.now()) & 0xffffffffffn) << 8n);
    this.watchHub = new WatchHub(store);
    metrics.watchGauges(() => this.watchHub.stats(), () => this.watchStreams);
    const everything = new Uint8Array([0]);
    metrics.keysFrom(() => store.read().range(everything, everything, { countOnly: true }).count);
    this.applier = new Applier(store, lessor, (events, rev) => void this.appliedWrites.push({ events, rev }));
    this.metrics = metrics;
    const self = this;
    this.reconfig = new Reconfiguration({
      memberId,
      membership: this.membership,
      get consensus() {
        return self.consensus;
      },
      get transport() {
        return self.transport;
      },
      strictReconfigCheck: opts.strictReconfigCheck !== false,
      heartbeatMs: this.heartbeatMs,
      requestTimeoutMs: this.requestTimeoutMs,
      isStopped: () => this.stopped,
      onRemovedSelf: () => this.removed(),
      header: (withRevision) => this.header(withRevision),
    });
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
    // A member that has a WAL is who its WAL says it is; bootstrap flags only matter the first time
    // (a restart with --initial-cluster-state new is fine: etcd ignores the flags then too).
    let opened: { wal: Wal; state: WalState | null };
    let memberId: bigint;
    let clusterId: bigint;
    let founders: Array<{ id: bigint; context: Uint8Array }> | undefined;
    let existingMembers: MemberInfo[] = [];
    const walMetrics = { fsyncSeconds: (s: number) => metrics.walFsync.observe(s), writeBytes: (n: number) => metrics.walWriteBytes.inc(n) };
    if (await Wal.exists(walDir)) {
      const { wal, state } = await Wal.open(walDir, { metrics: walMetrics });
      ({ memberId, clusterId } = decodeMetadata(state.metadata, walDir));
      opened = { wal, state };
      // A first start that crashed after creating the WAL but before its founding entries were
      // durable: found the cluster again (the same flags give the same ids).
      const empty = state.hardState === null && state.entries.length === 0 && state.snapshot === null;
      if (empty && (opts.initialClusterState ?? 'new') === 'new') {
        const plan = await planBootstrap({
          name: opts.name,
          peerUrls: opts.peerUrls,
          token: opts.initialClusterToken,
          initialCluster: opts.initialCluster ?? new Map([[opts.name, opts.peerUrls]]),
          state: 'new',
        }).catch(async (e: unknown) => {
          await wal.close();
          throw e;
        });
        if (plan.memberId === memberId && plan.clusterId === clusterId) founders = plan.founders;
      }
    } else {
      const plan = await planBootstrap({
        name: opts.name,
        peerUrls: opts.peerUrls,
        token: opts.initialClusterToken,
        initialCluster: opts.initialCluster ?? new Map([[opts.name, opts.peerUrls]]),
        state: opts.initialClusterState ?? 'new',
        ...(opts.peerTls ? { peerTls: opts.peerTls.client } : {}),
      });
      ({ memberId, clusterId, founders } = plan);
      existingMembers = plan.existingMembers ?? [];
      opened = { wal: await Wal.create(walDir, encodeMetadata(memberId, clusterId), { metrics: walMetrics }), state: null };
    }
    // Member ids are known only after the WAL is read; the metric that names it is set then.
    metrics.setMemberId(memberId.toString(16));
    let backend: Backend | null = null;
    let s: EtcdServer | null = null;
    try {
      backend = Backend.open(join(snapDir, 'db'));
      // A crash after a leader's snapshot was recorded but before its database was swapped in:
      // finish the swap now (the WAL no longer holds the entries the snapshot covers).
      const walSnap = opened.state?.snapshot;
      if (walSnap && backend.readConsistentIndex().index < walSnap.index) {
        const db = snapDbPath(snapDir, walSnap.index);
        if (!existsSync(db)) {
          throw new Error(`the backend is at index ${backend.readConsistentIndex().index}, behind the WAL's snapshot at ${walSnap.index}, and ${db} is missing`);
        }
        backend.replaceWith(db);
      }
      const store = MvccStore.open(backend);
      const lessor = Lessor.restore(backend, store, monotonicClock, { minTtl: opts.minLeaseTtl });
      const server = new EtcdServer(opts, backend, store, memberId, clusterId, metrics, lessor);
      s = server;
      server.consistentIndex = backend.readConsistentIndex().index;
      server.snapDir = snapDir;
      const transport = new PeerTransport({
        memberId,
        ...(opts.peerTls ? { tls: opts.peerTls } : {}),
        clusterId: () => clusterId,
        warn: opts.warn,
        handlers: {
          onMessage: (m) => server.consensus.step(m),
          onUnreachable: (id) => server.consensus.reportUnreachable(id),
          onSnapshotStatus: (id, ok) => {
            (ok ? metrics.snapshotSendSuccess : metrics.snapshotSendFailures).labels({ To: id.toString(16) }).inc();
            server.consensus.reportSnapshot(id, ok);
          },
          onRemoved: () => server.removed(),
          isRemoved: (id) => server.membership.isRemoved(id),
          snapshotData: async (file) => server.backend.copyTo(file),
          snapshotReceived: (m, file) => {
            renameSync(file, snapDbPath(snapDir, m.snapshot!.metadata.index));
            metrics.snapshotReceiveSuccess.labels({ From: m.from.toString(16) }).inc();
            server.consensus.step(m);
          },
          snapshotDir: () => snapDir,
          serve: (method, path, body) => server.servePeer(method, path, body),
        },
      });
      server.transport = transport;
      const consensus = new RaftNode({
        memberId,
        opened,
        appliedIndex: backend.readConsistentIndex().index,
        ...(founders ? { bootstrap: { voters: founders } } : {}),
        heartbeatMs: server.heartbeatMs,
        electionMs: server.electionMs,
        send: (msgs) => transport.send(msgs),
        onLeaderChange: (lead, leading) => server.leaderChanged(lead, leading),
        snapDir,
        snapshotCount: opts.snapshotCount ?? 100_000,
        ...(opts.snapshotCatchUpEntries !== undefined ? { snapshotCatchUpEntries: opts.snapshotCatchUpEntries } : {}),
        syncBackend: () => backend!.forceSync(),
        installSnapshot: (snap) => server.installSnapshot(snap.metadata.index),
      });
      server.consensus = consensus;
      // A joining member knows the cluster only from GET /members until its log tells it more;
      // it must be able to answer the leader before it has applied a single entry.
      const syncPeers = (): void => {
        const known = server.membership.list();
        for (const m of existingMembers) {
          if (server.membership.get(m.id) === undefined && !server.membership.isRemoved(m.id)) known.push(m);
        }
        transport.setPeers(known.map((m) => ({ id: m.id, urls: m.peerURLs })));
      };
      server.membership.onChange(syncPeers);
      syncPeers();
      if ((opts.listenPeerUrls ?? []).length > 0) await transport.listen(opts.listenPeerUrls!);
      await consensus.start({
        apply: (entries) => server.applyBatch(entries),
        fail: (err) => server.failAll(err),
      });
      syncPeers();
      server.refreshSizeMetrics();
      server.startLeaseTicker();
      server.startPublishing();
      return server;
    } catch (e) {
      // Leave nothing open (the WAL lock, the LMDB environment, the peer port) so the caller can retry or exit.
      await s?.transport?.close().catch(() => undefined);
      await opened.wal.close().catch(() => undefined);
      backend?.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- cluster

  /**
   * Swaps in the database a leader sent with its snapshot: the backend's rollback hooks rebuild
   * the MVCC index and the lessor from it; membership reloads; watchers resync from the new
   * contents (etcd's watchableStore.Restore).
   */
  private installSnapshot(index: number): void {
    const db = snapDbPath(this.snapDir, index);
    if (!existsSync(db)) throw new Error(`snapshot database ${db} is missing`);
    this.backend.replaceWith(db);
    this.consistentIndex = this.backend.readConsistentIndex().index;
    this.membership.reload();
    this.watchHub.resync();
    this.refreshSizeMetrics();
  }

  /** Leader changes: the lessor follows leadership (only the leader expires leases). */
  private leaderChanged(lead: bigint, leading: boolean): void {
    this.metrics.hasLeader.set(lead !== 0n ? 1 : 0);
    this.metrics.isLeader.set(leading ? 1 : 0);
    if (lead !== 0n) this.metrics.leaderChanges.inc();
    if (leading && !this.lessor.isPrimary) this.lessor.promote(this.electionMs);
    else if (!leading && this.lessor.isPrimary) this.lessor.demote();
  }

  /**
   * Publishes this member's name and client URLs through the log (etcd's publish), retrying
   * until the cluster has applied them: other members list them, `--cluster` commands use them.
   */
  private startPublishing(): void {
    const tryPublish = (): void => {
      this.publishTimer = null;
      if (this.stopped) return;
      const me = this.membership.get(this.memberId);
      const clientURLs = this.opts.clientUrls.map(canonicalUrl);
      if (me && me.name === this.opts.name && me.clientURLs.join(',') === clientURLs.join(',')) return;
      const attrs = create(ClusterMemberAttrSetRequestSchema, {
        memberID: this.memberId,
        memberAttributes: create(MemberAttributesSchema, { name: this.opts.name, clientUrls: clientURLs }),
      });
      this.propose((q) => (q.clusterMemberAttrSet = attrs), true).catch(() => undefined);
      this.publishTimer = setTimeout(tryPublish, 500);
      this.publishTimer.unref();
    };
    tryPublish();
  }

  /** A peer said we were removed, or we applied our own removal: stop serving. */
  private removed(): void {
    if (this.removedSelf) return;
    this.removedSelf = true;
    this.opts.warn?.({ 'local-member-id': this.memberId.toString(16) }, 'the member has been permanently removed from the cluster');
    this.opts.onRemoved?.();
  }

  /** Requests from other members on the peer port. */
  private async servePeer(method: string, path: string, body: Buffer): Promise<{ status: number; type: string; body: Buffer | string } | null> {
    if (method === 'GET' && path === '/members') {
      return { status: 200, type: 'application/json', body: encodeMemberList(this.membership.list()) };
    }
    if (method === 'GET' && path === '/version') {
      return { status: 200, type: 'application/json', body: JSON.stringify({ etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_API_VERSION.split('.').slice(0, 2).join('.') + '.0' }) };
    }
    if (method === 'POST' && path === '/leases') {
      // A follower forwarding a keepalive to us, the leader.
      const req = fromBinary(LeaseKeepAliveRequestSchema, body);
      if (!this.lessor.isPrimary) return { status: 503, type: 'text/plain', body: 'not leader\n' };
      const resp = await this.leaseKeepAlive(req.ID);
      return { status: 200, type: 'application/protobuf', body: Buffer.from(toBinary(LeaseKeepAliveResponseSchema, resp)) };
    }
    if (method === 'POST' && path === '/leases/internal') {
      const req = fromBinary(LeaseTimeToLiveRequestSchema, body);
      if (!this.lessor.isPrimary) return { status: 503, type: 'text/plain', body: 'not leader\n' };
      const resp = await this.leaseTimeToLive(req);
      return { status: 200, type: 'application/protobuf', body: Buffer.from(toBinary(LeaseTimeToLiveResponseSchema, resp)) };
    }
    const promote = /^\/members\/promote\/([0-9a-f]+)$/.exec(path);
    if (method === 'POST' && promote) {
      try {
        await this.reconfig.memberPromote({ ID: BigInt('0x' + promote[1]!) } as MemberPromoteRequest);
        return { status: 200, type: 'text/plain', body: '' };
      } catch (e) {
        return { status: 412, type: 'text/plain', body: e instanceof Error ? e.message : String(e) };
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- apply loop

  /** Applies one committed batch in a single backend transaction, with the consistent index. */
  private applyBatch(entries: CommittedEntry[]): void {
    const results: Array<[number, ApplyResult]> = [];
    const t0 = process.hrtime.bigint();
    this.appliedWrites = [];
    this.backend.batch(() => {
      for (const e of entries) {
        // Already in the backend: replayed after a crash, or covered by an installed snapshot.
        if (e.index <= this.consistentIndex) continue;
        if (e.confChange !== undefined) {
          this.reconfig.applyConfChange(e.confChange);
          continue;
        }
        if (e.data.length === 0) continue;
        const req = (e.local as InternalRaftRequest | undefined) ?? fromBinary(InternalRaftRequestSchema, e.data);
        const attrs = req.clusterMemberAttrSet;
        if (attrs !== undefined) {
          this.membership.setAttributes(attrs.memberID, attrs.memberAttributes?.name ?? '', attrs.memberAttributes?.clientUrls ?? []);
          continue;
        }
        const result = this.applier.apply(req);
        // Only requests proposed by this process (this id base) have a waiter here.
        const offset = (req.header?.ID ?? 0n) - this.idBase;
        if (offset > 0n && offset < 0x100000000n) {
          const id = Number(offset);
          if (this.waiters.has(id)) results.push([id, result]);
        }
      }
      const last = entries[entries.length - 1];
      if (last && last.index > this.consistentIndex) this.backend.setConsistentIndex(last.index, last.term);
    });
    const lastEntry = entries[entries.length - 1];
    if (lastEntry && lastEntry.index > this.consistentIndex) this.consistentIndex = lastEntry.index;
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

  /** The log failed: no pending proposal will be applied; their proposers get the error now. */
  private failAll(err: Error): void {
    this.metrics.proposalsFailed.inc(this.waiters.size);
    this.metrics.proposalsPending.set(0);
    this.waiters.rejectAll(new EtcdError(GrpcCode.Unavailable, `etcdserver: ${err.message}`));
  }

  /** Encodes, size-checks and proposes a request, then waits for its applied result. */
  /** `internal`: the member's own bookkeeping (publishing attributes), allowed on a learner too. */
  private async propose(fill: (r: InternalRaftRequest) => void, internal = false): Promise<ApplyResult> {
    if (this.stopped) throw Errors.stopped();
    if (!internal && this.consensus.status().isLearner) throw Errors.notSupportedForLearner();
    const { id, done } = this.waiters.register();
    const req = create(InternalRaftRequestSchema, { header: create(RequestHeaderSchema, { ID: this.idBase + BigInt(id) }) });
    fill(req);
    const data = toBinary(InternalRaftRequestSchema, req);
    if (data.length > this.opts.maxRequestBytes) {
      this.waiters.reject(id, Errors.requestTooLarge());
      return done;
    }
    try {
      this.consensus.propose(data, req);
    } catch (e) {
      this.waiters.reject(id, e);
      this.metrics.proposalsFailed.inc();
      return done;
    }
    this.metrics.proposalsPending.inc();
    // A proposal forwarded to a leader that then died is never applied: give up like etcd does,
    // with etcd's hint when the leader changed meanwhile.
    const leaderAtProposal = this.consensus.status().leader;
    const timer = setTimeout(() => {
      if (!this.waiters.has(id)) return;
      this.metrics.proposalsPending.dec();
      this.metrics.proposalsFailed.inc();
      const changed = this.consensus.status().leader !== leaderAtProposal;
      this.waiters.reject(id, changed ? Errors.timeoutDueToLeaderFail() : Errors.timeout());
    }, this.requestTimeoutMs);
    let result: ApplyResult;
    try {
      result = await done;
    } finally {
      clearTimeout(timer);
    }
    if (result.kind === 'error') throw result.error;
    return result;
  }

  // ---------------------------------------------------------------- KV

  async range(r: RangeRequest): Promise<RangeResponse> {
    checkRangeRequest(r);
    this.metrics.rangeTotal.inc();
    // A linearizable read waits until this member applied everything committed before it began.
    if (!r.serializable) await this.linearizableReadPoint();
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
      // Read-only txns are served locally like linearizable ranges (etcd does the same).
      await this.linearizableReadPoint();
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

  private linearizableReadPoint(): Promise<void> {
    if (this.consensus.status().isLearner) return Promise.reject(Errors.notSupportedForLearner());
    return this.consensus.readIndex();
  }

  /**
   * A keepalive: renews on the leader (no log entry); an unknown lease answers TTL 0 like etcd.
   * A follower forwards it to the leader over the peer port (etcd's POST /leases).
   */
  leaseKeepAlive(id: bigint): LeaseKeepAliveResponse | Promise<LeaseKeepAliveResponse> {
    if (!this.lessor.isPrimary) {
      return this.forwardToLeader('/leases', toBinary(LeaseKeepAliveRequestSchema, create(LeaseKeepAliveRequestSchema, { ID: id }))).then(
        (body) => this.withHeader(fromBinary(LeaseKeepAliveResponseSchema, body)),
      );
    }
    let ttl = 0;
    try {
      ttl = this.lessor.renew(id);
    } catch (e) {
      if (!(e instanceof LeaseNotFoundError)) throw e;
    }
    return this.withHeader(create(LeaseKeepAliveResponseSchema, { ID: id, TTL: BigInt(ttl) }));
  }

  /** Sends a lease request to the leader over the peer port; errors become etcd's. */
  private async forwardToLeader(path: string, body: Uint8Array): Promise<Uint8Array> {
    const leader = this.consensus.status().leader;
    if (leader === 0n || this.transport === null) throw Errors.noLeader();
    let res;
    try {
      res = await this.transport.request(leader, path, body, this.requestTimeoutMs);
    } catch {
      throw Errors.timeout();
    }
    if (res.status !== 200) throw Errors.leaderChanged();
    return res.body;
  }

  leaseTimeToLive(r: LeaseTimeToLiveRequest): LeaseTimeToLiveResponse | Promise<LeaseTimeToLiveResponse> {
    if (!this.lessor.isPrimary) {
      // Only the leader knows the remaining TTL (followers hold leases "forever").
      return this.forwardToLeader('/leases/internal', toBinary(LeaseTimeToLiveRequestSchema, r)).then((body) =>
        this.withHeader(fromBinary(LeaseTimeToLiveResponseSchema, body)),
      );
    }
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

  async memberList(r?: MemberListRequest): Promise<MemberListResponse> {
    if (r?.linearizable) await this.consensus.readIndex();
    // etcd's cluster service headers carry no revision.
    return create(MemberListResponseSchema, { header: this.header(false), members: this.reconfig.memberMessages() });
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
    if (this.publishTimer) clearTimeout(this.publishTimer);
    await this.transport?.close();
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
