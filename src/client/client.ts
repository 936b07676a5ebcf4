// A typed etcd v3 client over gRPC (Connect's HTTP/2 transport).
//
// It behaves like etcd's Go client (clientv3 3.4) where tools can observe it:
//  - calls wait for a connection until their deadline (grpc-go "wait for ready"), moving on to
//    the next endpoint when one cannot be reached, and then fail with "context deadline exceeded";
//  - reads are retried on a transport failure; writes only when the request surely never left;
//  - server errors keep etcd's text ("etcdserver: ..."); see errors.ts.
// Bytes stay Uint8Array end to end; 64-bit numbers are bigint.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as http2 from 'node:http2';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import {
  Auth, AuthenticateRequestSchema, AlarmRequestSchema, Lease, LeaseGrantRequestSchema, LeaseKeepAliveRequestSchema,
  LeaseLeasesRequestSchema, LeaseRevokeRequestSchema, LeaseTimeToLiveRequestSchema,
  type LeaseGrantResponse, type LeaseKeepAliveResponse, type LeaseLeasesResponse, type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse, AlarmRequest_AlarmAction, AlarmResponseSchema, AlarmType, Cluster, CompactionRequestSchema,
  DefragmentRequestSchema, DeleteRangeRequestSchema, HashKVRequestSchema, HashRequestSchema, KV,
  Maintenance, MemberListRequestSchema, PutRequestSchema, RangeRequestSchema, StatusRequestSchema,
  TxnRequestSchema,
  type AlarmResponse, type CompactionResponse, type DefragmentResponse, type DeleteRangeResponse,
  type HashKVResponse, type HashResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type StatusResponse, type TxnResponse,
} from '../gen/etcdserverpb/rpc_pb.js';
import {
  MemberAddRequestSchema, MemberPromoteRequestSchema, MemberRemoveRequestSchema, MemberUpdateRequestSchema, MoveLeaderRequestSchema,
  type MemberAddResponse, type MemberPromoteResponse, type MemberRemoveResponse, type MemberUpdateResponse, type MoveLeaderResponse,
} from '../gen/etcdserverpb/rpc_pb.js';
import { Watch, type WatchRequest, type WatchResponse } from '../gen/etcdserverpb/rpc_pb.js';
import { Election, CampaignRequestSchema, ResignRequestSchema, type CampaignResponse, type LeaderKey, type ResignResponse } from '../gen/v3electionpb/v3election_pb.js';
import { Lock, LockRequestSchema, UnlockRequestSchema, type LockResponse, type UnlockResponse } from '../gen/v3lockpb/v3lock_pb.js';
import { baseUrl, parseEndpoint, type Endpoint } from './endpoints.js';
import { canceledError, classify, deadlineError, EtcdError, rpcErrorString, serverError } from './errors.js';
import { checkPeerURLs } from './urls.js';

export interface TlsOptions {
  /** PEM CA bundle used to verify the server (etcdctl --cacert). */
  caFile?: string | undefined;
  /** PEM client certificate and key (etcdctl --cert / --key). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Skip server certificate verification (etcdctl --insecure-skip-tls-verify). */
  insecureSkipVerify?: boolean | undefined;
  /** Expected server name (SNI and verification), when it differs from the endpoint host. */
  serverName?: string | undefined;
}

/** Reported for every failed attempt; etcd's client logs these as zap "warn" lines. */
export interface FailedAttempt {
  /** grpc-go style target: "endpoint://client-<uuid>/<host:port>" or "passthrough:///<endpoint>". */
  target: string;
  attempt: number;
  /** "rpc error: code = ... desc = ..." */
  error: string;
}

export interface ClientOptions {
  endpoints: string[];
  /** Time allowed to open a connection to one endpoint; default 2000 ms (etcdctl --dial-timeout). */
  dialTimeoutMs?: number;
  /** Default deadline of one call when the call gives none; default 5000 ms (etcdctl --command-timeout). */
  commandTimeoutMs?: number;
  /**
   * HTTP/2 keepalive: ping after this long without traffic (etcdctl --keepalive-time, default
   * 2 s; like grpc-go we never ping more often than every 10 s) and drop the connection when a
   * ping is not answered within keepAliveTimeoutMs (--keepalive-timeout, default 6 s).
   */
  keepAliveTimeMs?: number;
  keepAliveTimeoutMs?: number;
  /** Use TLS for endpoints without an explicit scheme. Implied by any `tls` option. */
  secure?: boolean;
  tls?: TlsOptions | undefined;
  onFailedAttempt?: (a: FailedAttempt) => void;
  /**
   * Authenticate as this user (etcdctl --user/--password). The token is fetched on connect()
   * or the first call, sent with every request, and fetched again when the server reports it
   * invalid. A server without auth enabled is used without a token, as etcd's client does.
   */
  auth?: { username: string; password: string } | undefined;
}

export interface CallOptions {
  /** Overrides the client's commandTimeoutMs for this call. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Conn {
  readonly endpoint: Endpoint;
  readonly session: Http2SessionManager;
  readonly kv: Client<typeof KV>;
  readonly maintenance: Client<typeof Maintenance>;
  readonly cluster: Client<typeof Cluster>;
  readonly auth: Client<typeof Auth>;
  readonly lease: Client<typeof Lease>;
  readonly watch: Client<typeof Watch>;
  readonly lock: Client<typeof Lock>;
  readonly election: Client<typeof Election>;
  /** Settles once the first dial finished within the dial timeout. */
  dialed: boolean;
}

/** Runs one RPC on a connection, with the call's abort signal and headers (the auth token). */
type Pick<T> = (c: Conn, o: { signal: AbortSignal; headers: Record<string, string> }) => Promise<T>;

/** Server errors after which etcd's client fetches a new token and tries again. */
const REFRESH_TOKEN_ERRORS = new Set(['etcdserver: invalid auth token', 'etcdserver: revision of auth store is old', 'etcdserver: user name is empty']);
const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';

const BACKOFF_MIN_MS = 25;
/** grpc-go raises shorter client keepalive intervals to 10 s. */
const MIN_KEEPALIVE_MS = 10_000;
const BACKOFF_MAX_MS = 500;

export class EtcdClient {
  readonly endpoints: readonly Endpoint[];
  private readonly conns = new Map<string, Conn>();
  private readonly dialTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly secure: boolean;
  private readonly nodeOptions: http2.SecureClientSessionOptions;
  private readonly balancerTarget: string;
  private current = 0;
  private closed = false;
  /** undefined: not authenticated yet; null: the server has auth disabled, send no token. */
  private token: string | null | undefined;

  constructor(private readonly opts: ClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('no endpoints given');
    this.endpoints = opts.endpoints.map(parseEndpoint);
    this.dialTimeoutMs = opts.dialTimeoutMs ?? 2000;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 5000;
    const tls = opts.tls;
    this.secure = opts.secure === true || (tls !== undefined &&
      (tls.caFile !== undefined || tls.certFile !== undefined || tls.keyFile !== undefined || tls.insecureSkipVerify === true || tls.serverName !== undefined));
    this.nodeOptions = tlsNodeOptions(tls);
    this.balancerTarget = `endpoint://client-${randomUUID()}/${this.endpoints[0]?.authority ?? ''}`;
  }

  // ---- KV ----
  range(req: MessageInitShape<typeof RangeRequestSchema>, o?: CallOptions): Promise<RangeResponse> {
    const r = create(RangeRequestSchema, req);
    return this.call((c, co) => c.kv.range(r, co), { ...o, isWrite: false });
  }
  put(req: MessageInitShape<typeof PutRequestSchema>, o?: CallOptions): Promise<PutResponse> {
    const r = create(PutRequestSchema, req);
    return this.call((c, co) => c.kv.put(r, co), { ...o, isWrite: true });
  }
  deleteRange(req: MessageInitShape<typeof DeleteRangeRequestSchema>, o?: CallOptions): Promise<DeleteRangeResponse> {
    const r = create(DeleteRangeRequestSchema, req);
    return this.call((c, co) => c.kv.deleteRange(r, co), { ...o, isWrite: true });
  }
  txn(req: MessageInitShape<typeof TxnRequestSchema>, o?: CallOptions): Promise<TxnResponse> {
    const r = create(TxnRequestSchema, req);
    // A txn without writes is a read and may be retried, as clientv3 does.
    const writes = r.success.concat(r.failure).some((op) => op.request.case !== 'requestRange');
    return this.call((c, co) => c.kv.txn(r, co), { ...o, isWrite: writes });
  }
  compact(req: MessageInitShape<typeof CompactionRequestSchema>, o?: CallOptions): Promise<CompactionResponse> {
    const r = create(CompactionRequestSchema, req);
    return this.call((c, co) => c.kv.compact(r, co), { ...o, isWrite: true });
  }

  // ---- Maintenance ----
  // Calls that name an endpoint talk to exactly that member, over its own connection
  // (clientv3 Maintenance dials the endpoint), so a status never comes from another member.
  status(endpoint?: string, o?: CallOptions): Promise<StatusResponse> {
    const r = create(StatusRequestSchema, {});
    return this.call((c, co) => c.maintenance.status(r, co), { ...o, isWrite: false, endpoint });
  }
  hash(endpoint?: string, o?: CallOptions): Promise<HashResponse> {
    const r = create(HashRequestSchema, {});
    return this.call((c, co) => c.maintenance.hash(r, co), { ...o, isWrite: false, endpoint });
  }
  hashKV(endpoint: string | undefined, revision: bigint, o?: CallOptions): Promise<HashKVResponse> {
    const r = create(HashKVRequestSchema, { revision });
    return this.call((c, co) => c.maintenance.hashKV(r, co), { ...o, isWrite: false, endpoint });
  }
  defragment(endpoint?: string, o?: CallOptions): Promise<DefragmentResponse> {
    const r = create(DefragmentRequestSchema, {});
    return this.call((c, co) => c.maintenance.defragment(r, co), { ...o, isWrite: false, endpoint });
  }
  alarmList(o?: CallOptions): Promise<AlarmResponse> {
    const r = create(AlarmRequestSchema, { action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE });
    return this.call((c, co) => c.maintenance.alarm(r, co), { ...o, isWrite: false });
  }
  /**
   * Disarms one alarm; memberID 0 with AlarmType.NONE disarms every raised alarm, one by one,
   * and returns them in one response without a header (as clientv3 does).
   */
  async alarmDisarm(memberID: bigint, alarm: AlarmType, o?: CallOptions): Promise<AlarmResponse> {
    if (memberID === 0n && alarm === AlarmType.NONE) {
      const list = await this.alarmList(o);
      const all = create(AlarmResponseSchema, {});
      for (const a of list.alarms) all.alarms.push(...(await this.alarmDisarm(a.memberID, a.alarm, o)).alarms);
      return all;
    }
    const r = create(AlarmRequestSchema, { action: AlarmRequest_AlarmAction.DEACTIVATE, memberID, alarm });
    return this.call((c, co) => c.maintenance.alarm(r, co), { ...o, isWrite: true });
  }

  // ---- Lease ----
  leaseGrant(ttl: bigint, id = 0n, o?: CallOptions): Promise<LeaseGrantResponse> {
    const r = create(LeaseGrantRequestSchema, { TTL: ttl, ID: id });
    return this.call((c, co) => c.lease.leaseGrant(r, co), { ...o, isWrite: true });
  }
  leaseRevoke(id: bigint, o?: CallOptions): Promise<LeaseRevokeResponse> {
    const r = create(LeaseRevokeRequestSchema, { ID: id });
    return this.call((c, co) => c.lease.leaseRevoke(r, co), { ...o, isWrite: true });
  }
  leaseTimeToLive(id: bigint, keys: boolean, o?: CallOptions): Promise<LeaseTimeToLiveResponse> {
    const r = create(LeaseTimeToLiveRequestSchema, { ID: id, keys });
    return this.call((c, co) => c.lease.leaseTimeToLive(r, co), { ...o, isWrite: false });
  }
  leaseLeases(o?: CallOptions): Promise<LeaseLeasesResponse> {
    const r = create(LeaseLeasesRequestSchema, {});
    return this.call((c, co) => c.lease.leaseLeases(r, co), { ...o, isWrite: false });
  }

  /**
   * One keep-alive round trip on the LeaseKeepAlive stream. A TTL of 0 or less in the answer
   * means the lease does not exist (any more); clientv3 reports that as ErrLeaseNotFound, and
   * so do we.
   */
  async leaseKeepAliveOnce(id: bigint, o?: CallOptions): Promise<LeaseKeepAliveResponse> {
    const resp = await this.call(async (c, co) => {
      for await (const r of c.lease.leaseKeepAlive(oneRequest(create(LeaseKeepAliveRequestSchema, { ID: id })), co)) return r;
      throw serverError(14, 'lease keep-alive stream ended without an answer');
    }, { ...o, isWrite: false });
    if (resp.TTL <= 0n) throw serverError(5, 'etcdserver: requested lease not found');
    return resp;
  }

  /**
   * Keeps a lease alive until it expires, is revoked or `signal` aborts: one keep-alive now,
   * then every TTL/3 (clientv3's schedule); yields every answer. Ends when the server answers
   * with a TTL of 0 or less.
   */
  async *leaseKeepAlive(id: bigint, signal?: AbortSignal): AsyncGenerator<LeaseKeepAliveResponse> {
    for (;;) {
      if (aborted(signal)) return;
      let resp: LeaseKeepAliveResponse;
      try {
        resp = await this.leaseKeepAliveOnce(id, signal !== undefined ? { signal } : {});
      } catch (e) {
        if (e instanceof EtcdError && (e.kind === 'canceled' || e.description === 'etcdserver: requested lease not found')) return;
        throw e;
      }
      yield resp;
      const waitMs = Math.max(500, (Number(resp.TTL) * 1000) / 3);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }

  // ---- Watch (src/client/watch.ts drives it) ----
  /**
   * Opens one Watch stream once a connection is up (waiting for one like any call, within
   * the call's timeout). The stream lives until `signal` aborts or the server ends it; its
   * failures surface while iterating. `requireLeader` sends etcd's "hasleader" metadata
   * (clientv3.WithRequireLeader).
   */
  openWatchStream(requests: AsyncIterable<WatchRequest>, signal: AbortSignal, requireLeader: boolean, o?: CallOptions): Promise<AsyncIterable<WatchResponse>> {
    return this.call(async (c, co) => {
      const headers = requireLeader ? { ...co.headers, hasleader: 'true' } : co.headers;
      return c.watch.watch(requests, { signal, headers });
    }, { ...o, isWrite: false, signal });
  }

  // ---- Lock and Election services (v3lockpb, v3electionpb) ----
  lock(name: Uint8Array, lease: bigint, o?: CallOptions): Promise<LockResponse> {
    const r = create(LockRequestSchema, { name, lease });
    return this.call((c, co) => c.lock.lock(r, co), { ...o, isWrite: true });
  }
  unlock(key: Uint8Array, o?: CallOptions): Promise<UnlockResponse> {
    const r = create(UnlockRequestSchema, { key });
    return this.call((c, co) => c.lock.unlock(r, co), { ...o, isWrite: true });
  }
  campaign(name: Uint8Array, lease: bigint, value: Uint8Array, o?: CallOptions): Promise<CampaignResponse> {
    const r = create(CampaignRequestSchema, { name, lease, value });
    return this.call((c, co) => c.election.campaign(r, co), { ...o, isWrite: true });
  }
  resign(leader: LeaderKey, o?: CallOptions): Promise<ResignResponse> {
    const r = create(ResignRequestSchema, { leader });
    return this.call((c, co) => c.election.resign(r, co), { ...o, isWrite: true });
  }

  // ---- Cluster ----
  memberList(o?: CallOptions): Promise<MemberListResponse> {
    const r = create(MemberListRequestSchema, {});
    return this.call((c, co) => c.cluster.memberList(r, co), { ...o, isWrite: false });
  }
  /**
   * Adds a member (a raft learner with isLearner). The peer URLs are checked first, as etcd's
   * client does: a bad one throws PeerURLError (urls.ts) without a request. Membership changes
   * are not retried once they may have been sent (clientv3 gives them no retry policy).
   */
  memberAdd(peerURLs: string[], isLearner: boolean, o?: CallOptions): Promise<MemberAddResponse> {
    checkPeerURLs(peerURLs);
    const r = create(MemberAddRequestSchema, { peerURLs, isLearner });
    return this.call((c, co) => c.cluster.memberAdd(r, co), { ...o, isWrite: true });
  }
  memberRemove(id: bigint, o?: CallOptions): Promise<MemberRemoveResponse> {
    const r = create(MemberRemoveRequestSchema, { ID: id });
    return this.call((c, co) => c.cluster.memberRemove(r, co), { ...o, isWrite: true });
  }
  /** Replaces a member's peer URLs (checked first, like memberAdd's). */
  memberUpdate(id: bigint, peerURLs: string[], o?: CallOptions): Promise<MemberUpdateResponse> {
    checkPeerURLs(peerURLs);
    const r = create(MemberUpdateRequestSchema, { ID: id, peerURLs });
    return this.call((c, co) => c.cluster.memberUpdate(r, co), { ...o, isWrite: true });
  }
  /** Promotes a learner that has caught up with the leader to a voting member. */
  memberPromote(id: bigint, o?: CallOptions): Promise<MemberPromoteResponse> {
    const r = create(MemberPromoteRequestSchema, { ID: id });
    return this.call((c, co) => c.cluster.memberPromote(r, co), { ...o, isWrite: true });
  }
  /**
   * Asks the leader to hand leadership to `targetID` and waits until it has. Only the leader
   * accepts it ("etcdserver: not leader" elsewhere): give the client the leader's endpoint.
   */
  moveLeader(targetID: bigint, o?: CallOptions): Promise<MoveLeaderResponse> {
    const r = create(MoveLeaderRequestSchema, { targetID });
    return this.call((c, co) => c.maintenance.moveLeader(r, co), { ...o, isWrite: false });
  }

  /**
   * Authenticates now when the client has credentials (etcd's client does it while dialing, so
   * a wrong password fails before any request). Without credentials there is nothing to do.
   */
  async connect(o?: CallOptions): Promise<void> {
    if (this.opts.auth !== undefined && this.token === undefined) await this.authenticate(o);
  }

  private async authenticate(o?: CallOptions): Promise<void> {
    const auth = this.opts.auth;
    if (auth === undefined) return;
    const r = create(AuthenticateRequestSchema, { name: auth.username, password: auth.password });
    try {
      const resp = await this.call((c, co) => c.auth.authenticate(r, { signal: co.signal }), { ...o, isWrite: false, noToken: true });
      this.token = resp.token;
    } catch (e) {
      if (e instanceof EtcdError && e.description === AUTH_NOT_ENABLED) {
        this.token = null;
        return;
      }
      throw e;
    }
  }

  /** Closes every connection; pending calls fail. */
  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.session.abort();
    this.conns.clear();
  }

  // ---- plumbing ----

  private conn(ep: Endpoint): Conn {
    const key = ep.raw;
    let c = this.conns.get(key);
    if (c === undefined) {
      const secure = ep.scheme === 'https' || (ep.scheme === undefined && this.secure);
      const url = baseUrl(ep, secure);
      const session = new Http2SessionManager(url, {
        idleConnectionTimeoutMs: 60_000,
        pingIntervalMs: Math.max(MIN_KEEPALIVE_MS, this.opts.keepAliveTimeMs ?? 2000),
        pingTimeoutMs: this.opts.keepAliveTimeoutMs ?? 6000,
      }, secure ? this.nodeOptions : {});
      const transport = createGrpcTransport({ baseUrl: url, sessionManager: session, nodeOptions: secure ? this.nodeOptions : {} });
      c = {
        endpoint: ep,
        session,
        kv: createClient(KV, transport),
        maintenance: createClient(Maintenance, transport),
        cluster: createClient(Cluster, transport),
        auth: createClient(Auth, transport),
        lease: createClient(Lease, transport),
        watch: createClient(Watch, transport),
        lock: createClient(Lock, transport),
        election: createClient(Election, transport),
        dialed: false,
      };
      this.conns.set(key, c);
    }
    return c;
  }

  /** Opens the connection within the dial timeout; returns why when the endpoint cannot be reached. */
  private async dial(c: Conn, deadline: number): Promise<string | undefined> {
    if (c.dialed && c.session.state() !== 'error' && c.session.state() !== 'closed') return undefined;
    const limit = Math.min(this.dialTimeoutMs, Math.max(0, deadline - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), limit); });
    try {
      const st = await Promise.race([c.session.connect(), timeout]);
      if (st === 'timeout') {
        c.session.abort();
        return `connection error: dial ${c.endpoint.authority}: i/o timeout`;
      }
      if (st === 'error') {
        const e = c.session.error();
        c.session.abort();
        return `connection error: ${e instanceof ConnectError ? e.rawMessage : e instanceof Error ? e.message : String(e)}`;
      }
      c.dialed = true;
      return undefined;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private async call<T>(pick: Pick<T>, o: CallOptions & { isWrite: boolean; endpoint?: string | undefined; noToken?: boolean }): Promise<T> {
    if (this.closed) throw new Error('client is closed');
    if (o.noToken !== true && this.opts.auth !== undefined) {
      // A call to a named endpoint opens its own connection, and etcd's client authenticates
      // on every such dial (visible to servers: each Authenticate is a raft entry).
      if (this.token === undefined || o.endpoint !== undefined) await this.authenticate(o);
      try {
        return await this.attempt(pick, o);
      } catch (e) {
        if (!(e instanceof EtcdError) || !REFRESH_TOKEN_ERRORS.has(e.description)) throw e;
        await this.authenticate(o);
        return this.attempt(pick, o);
      }
    }
    return this.attempt(pick, o);
  }

  private async attempt<T>(pick: Pick<T>, o: CallOptions & { isWrite: boolean; endpoint?: string | undefined; noToken?: boolean }): Promise<T> {
    const headers: Record<string, string> = {};
    if (o.noToken !== true && typeof this.token === 'string') headers['token'] = this.token;
    const timeoutMs = o.timeoutMs ?? this.commandTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const pinned = o.endpoint === undefined ? undefined : parseEndpoint(o.endpoint);
    const target = pinned === undefined ? this.balancerTarget : `passthrough:///${pinned.raw}`;
    let lastCause = 'there is no connection available';
    for (let round = 0; ; round++) {
      if (aborted(o.signal)) throw canceledError();
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const err = deadlineError(`latest balancer error: ${lastCause}`);
        this.opts.onFailedAttempt?.({ target, attempt: 0, error: err.grpcMessage });
        throw err;
      }
      const ep = pinned ?? (this.endpoints[this.current % this.endpoints.length] as Endpoint);
      const c = this.conn(ep);
      const dialErr = await this.dial(c, deadline);
      if (dialErr !== undefined) {
        lastCause = dialErr;
        await this.backoff(round, deadline, o.signal);
        if (pinned === undefined) this.current++;
        continue;
      }
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), Math.max(1, deadline - Date.now()));
      const onAbort = (): void => ac.abort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await pick(c, { signal: ac.signal, headers });
      } catch (e) {
        if (aborted(o.signal)) throw canceledError();
        if (ac.signal.aborted) {
          // Our deadline fired while the call was in flight.
          const err = deadlineError(`context deadline exceeded`);
          this.opts.onFailedAttempt?.({ target, attempt: 0, error: err.grpcMessage });
          throw err;
        }
        const cl = classify(e);
        if (cl.reached) {
          this.opts.onFailedAttempt?.({ target, attempt: 0, error: cl.error.grpcMessage });
          throw cl.error;
        }
        lastCause = cl.cause;
        c.dialed = false;
        if (o.isWrite && cl.maybeSent) {
          // The write may have been applied; repeating it could apply it twice.
          const err = new EtcdError(rpcErrorString(14, cl.cause), 'transport', 14, cl.cause, rpcErrorString(14, cl.cause));
          this.opts.onFailedAttempt?.({ target, attempt: 0, error: err.grpcMessage });
          throw err;
        }
        await this.backoff(round, deadline, o.signal);
        if (pinned === undefined) this.current++;
      } finally {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  private backoff(round: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    // After a full pass over all endpoints, wait a little before the next pass.
    const pass = Math.floor(round / Math.max(1, this.endpoints.length));
    if (round % Math.max(1, this.endpoints.length) !== this.endpoints.length - 1 && this.endpoints.length > 1) {
      return Promise.resolve();
    }
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(pass, 10), Math.max(0, deadline - Date.now()));
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
}

async function* oneRequest<T>(r: T): AsyncGenerator<T> {
  yield r;
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted;
}

function tlsNodeOptions(tls: TlsOptions | undefined): http2.SecureClientSessionOptions {
  if (tls === undefined) return {};
  const o: http2.SecureClientSessionOptions = {};
  if (tls.caFile !== undefined) o.ca = readFileSync(tls.caFile);
  if (tls.certFile !== undefined) o.cert = readFileSync(tls.certFile);
  if (tls.keyFile !== undefined) o.key = readFileSync(tls.keyFile);
  if (tls.insecureSkipVerify === true) o.rejectUnauthorized = false;
  if (tls.serverName !== undefined) o.servername = tls.serverName;
  return o;
}
