// The apply path: every committed log entry is an InternalRaftRequest, applied here in log order.
// Nothing else mutates the store. Semantics follow etcd's applierV3backend (apply.go): range
// filtering/sorting, put with ignore_value/ignore_lease/prev_kv, delete with prev_kv, txn with
// compares, nested txns, and compaction.
import { create } from '@bufbuild/protobuf';
import {
  type Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  type CompactionRequest,
  CompactionResponseSchema,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  DeleteRangeResponseSchema,
  type PutRequest,
  type PutResponse,
  PutResponseSchema,
  type RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type RangeResponse,
  RangeResponseSchema,
  type RequestOp,
  type ResponseOp,
  ResponseOpSchema,
  ResponseHeaderSchema,
  type TxnRequest,
  type TxnResponse,
  TxnResponseSchema,
  type CompactionResponse,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  LeaseGrantResponseSchema,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  LeaseRevokeResponseSchema,
} from '../gen/etcdserverpb/rpc_pb.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal_pb.js';
import { type Event, Event_EventType, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from '../lease/index.js';
import { Errors, EtcdError } from './errors.js';
import { isTxnReadOnly } from './validate.js';
import { ErrCompacted, ErrFutureRev, type MvccStore, type ReadView, type WriteTxn } from '../mvcc/index.js';

type KvReader = ReadView;
type KvWriter = WriteTxn;

export type ApplyResult =
  | { kind: 'range'; resp: RangeResponse }
  | { kind: 'put'; resp: PutResponse }
  | { kind: 'deleteRange'; resp: DeleteRangeResponse }
  | { kind: 'txn'; resp: TxnResponse }
  | { kind: 'compaction'; resp: CompactionResponse; physicalDone: Promise<void> }
  | { kind: 'leaseGrant'; resp: LeaseGrantResponse }
  | { kind: 'leaseRevoke'; resp: LeaseRevokeResponse }
  | { kind: 'leaseCheckpoint' }
  | { kind: 'error'; error: EtcdError };

/** What the applier needs of the lessor (src/lease's Lessor implements it). */
export interface LeaseBook {
  lookup(id: bigint): unknown;
  leaseOf(key: Uint8Array): bigint;
  attach(id: bigint, key: Uint8Array): void;
  detach(id: bigint, key: Uint8Array): boolean;
  grant(id: bigint, ttl: number): { id: bigint; ttl: number };
  revoke(id: bigint): Uint8Array[];
  checkpoint(id: bigint, remainingTtl: number): void;
}

/** Receives each committed write txn's events (watchers are fed from here). */
export type WriteObserver = (events: Event[], rev: number) => void;

export class Applier {
  constructor(
    private readonly store: MvccStore,
    private readonly leases: LeaseBook,
    private readonly onWrite: WriteObserver = () => undefined,
  ) {}

  /**
   * Ends a write txn: keeps key↔lease attachments in step with what the txn wrote (one place for
   * puts, deletes, txns and revokes), then hands the events to the observer.
   */
  private endTxn(w: KvWriter): number {
    const { rev, events } = w.end();
    for (const ev of events) {
      const kv = ev.kv;
      if (!kv) continue;
      const old = this.leases.leaseOf(kv.key);
      const now = ev.type === Event_EventType.PUT ? kv.lease : 0n;
      if (old === now) continue;
      if (old !== 0n) this.leases.detach(old, kv.key);
      if (now !== 0n) this.leases.attach(now, kv.key);
    }
    if (events.length > 0) this.onWrite(events, rev);
    return rev;
  }

  private leaseExists(id: bigint): boolean {
    return this.leases.lookup(id) !== undefined;
  }

  apply(req: InternalRaftRequest): ApplyResult {
    try {
      if (req.put) return { kind: 'put', resp: this.putOutsideTxn(req.put) };
      if (req.deleteRange) {
        const w = this.store.write();
        const resp = this.deleteRange(w, req.deleteRange);
        this.endTxn(w);
        return { kind: 'deleteRange', resp };
      }
      if (req.txn) return { kind: 'txn', resp: this.txn(req.txn) };
      if (req.compaction) return this.compaction(req.compaction);
      if (req.range) return { kind: 'range', resp: this.range(this.store.read(), req.range) };
      if (req.leaseGrant) return { kind: 'leaseGrant', resp: this.leaseGrant(req.leaseGrant) };
      if (req.leaseRevoke) return { kind: 'leaseRevoke', resp: this.leaseRevoke(req.leaseRevoke) };
      if (req.leaseCheckpoint) {
        for (const c of req.leaseCheckpoint.checkpoints) {
          // A lease revoked since the checkpoint was proposed is simply gone.
          if (this.leaseExists(c.ID)) this.leases.checkpoint(c.ID, Number(c.remainingTTL));
        }
        return { kind: 'leaseCheckpoint' };
      }
      throw new EtcdError(13, 'tsetcd: log entry carries no request this member can apply');
    } catch (e) {
      const mapped = mapStoreError(e);
      if (mapped instanceof EtcdError) return { kind: 'error', error: mapped };
      throw mapped;
    }
  }

  private leaseGrant(r: LeaseGrantRequest): LeaseGrantResponse {
    const { id, ttl } = this.leases.grant(r.ID, Number(r.TTL));
    return create(LeaseGrantResponseSchema, {
      header: create(ResponseHeaderSchema, { revision: BigInt(this.store.read().rev) }),
      ID: id,
      TTL: BigInt(ttl),
    });
  }

  /** Deletes every attached key in ONE revision, then drops the lease (etcd's Revoke). */
  private leaseRevoke(r: LeaseRevokeRequest): LeaseRevokeResponse {
    const keys = this.leases.revoke(r.ID);
    let rev = this.store.read().rev;
    if (keys.length > 0) {
      const w = this.store.write();
      for (const k of keys) w.deleteRange(k, new Uint8Array(0));
      rev = this.endTxn(w);
    }
    return create(LeaseRevokeResponseSchema, { header: create(ResponseHeaderSchema, { revision: BigInt(rev) }) });
  }

  range(view: KvReader, r: RangeRequest): RangeResponse {
    const filtered =
      r.sortOrder !== RangeRequest_SortOrder.NONE ||
      r.minModRevision !== 0n ||
      r.maxModRevision !== 0n ||
      r.minCreateRevision !== 0n ||
      r.maxCreateRevision !== 0n;
    // Fetch one extra to know whether there is 'more'; fetch all when filtering/sorting afterwards.
    const limit = filtered || r.limit <= 0n ? 0 : Number(r.limit) + 1;
    const rr = wrapStoreErrors(() =>
      view.range(r.key, r.rangeEnd, { rev: Number(r.revision), limit, countOnly: r.countOnly }),
    );
    let kvs = rr.kvs;
    if (r.maxModRevision !== 0n) kvs = kvs.filter((kv) => kv.modRevision <= r.maxModRevision);
    if (r.minModRevision !== 0n) kvs = kvs.filter((kv) => kv.modRevision >= r.minModRevision);
    if (r.maxCreateRevision !== 0n) kvs = kvs.filter((kv) => kv.createRevision <= r.maxCreateRevision);
    if (r.minCreateRevision !== 0n) kvs = kvs.filter((kv) => kv.createRevision >= r.minCreateRevision);
    let order = r.sortOrder;
    // The store returns keys ascending; any other target defaults to ascending order.
    if (r.sortTarget !== RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.NONE) {
      order = RangeRequest_SortOrder.ASCEND;
    }
    if (order !== RangeRequest_SortOrder.NONE) {
      const cmp = comparatorFor(r.sortTarget);
      kvs = kvs === rr.kvs ? kvs.slice() : kvs;
      kvs.sort(order === RangeRequest_SortOrder.DESCEND ? (a, b) => cmp(b, a) : cmp);
    }
    let more = false;
    if (r.limit > 0n && kvs.length > Number(r.limit)) {
      kvs = kvs.slice(0, Number(r.limit));
      more = true;
    }
    if (r.keysOnly) for (const kv of kvs) kv.value = new Uint8Array(0);
    return create(RangeResponseSchema, {
      header: create(ResponseHeaderSchema, { revision: BigInt(rr.rev) }),
      kvs,
      more,
      count: BigInt(rr.count),
    });
  }

  private putOutsideTxn(p: PutRequest): PutResponse {
    if (p.lease !== 0n && !this.leaseExists(p.lease)) throw Errors.leaseNotFound();
    const w = this.store.write();
    try {
      return this.put(w, p);
    } finally {
      this.endTxn(w);
    }
  }

  private put(w: KvWriter, p: PutRequest): PutResponse {
    let value = p.value;
    let lease = p.lease;
    let prev: KeyValue | undefined;
    if (p.ignoreValue || p.ignoreLease || p.prevKv) {
      prev = w.range(p.key, new Uint8Array(0), {}).kvs[0];
    }
    if ((p.ignoreValue || p.ignoreLease) && prev === undefined) throw Errors.keyNotFound();
    if (p.ignoreValue && prev) value = prev.value;
    if (p.ignoreLease && prev) lease = prev.lease;
    const rev = w.put(p.key, value, lease);
    return create(PutResponseSchema, {
      header: create(ResponseHeaderSchema, { revision: BigInt(rev) }),
      prevKv: p.prevKv ? prev : undefined,
    });
  }

  private deleteRange(w: KvWriter, d: DeleteRangeRequest): DeleteRangeResponse {
    const { deleted, rev, prevKvs } = w.deleteRange(d.key, d.rangeEnd, d.prevKv);
    return create(DeleteRangeResponseSchema, {
      header: create(ResponseHeaderSchema, { revision: BigInt(rev) }),
      deleted: BigInt(deleted),
      prevKvs,
    });
  }

  private txn(t: TxnRequest): TxnResponse {
    const readOnly = isTxnReadOnly(t);
    const view = this.store.read();
    const path = compareToPath(view, t);
    // Every put of the chosen branches must be valid before anything is written.
    if (!readOnly) walkChosen(t, path, (op) => this.checkPut(view, op));
    walkChosen(t, path, (op) => checkRange(view, op));
    if (readOnly) {
      const resp = this.runTxn(view, null, t, path);
      resp.header = create(ResponseHeaderSchema, { revision: BigInt(view.rev) });
      return resp;
    }
    const w = this.store.write();
    const resp = this.runTxn(w, w, t, path);
    const rev = this.endTxn(w);
    resp.header = create(ResponseHeaderSchema, { revision: BigInt(rev) });
    return resp;
  }

  private checkPut(view: KvReader, op: RequestOp): void {
    if (op.request.case !== 'requestPut') return;
    const p = op.request.value;
    if ((p.ignoreValue || p.ignoreLease) && view.range(p.key, new Uint8Array(0), {}).kvs.length === 0) {
      throw Errors.keyNotFound();
    }
    if (p.lease !== 0n && !this.leaseExists(p.lease)) throw Errors.leaseNotFound();
  }

  /** Runs the branch chosen by `path` (pre-order: this txn's outcome, then nested txns'). */
  private runTxn(view: KvReader, w: KvWriter | null, t: TxnRequest, path: PathCursor): TxnResponse {
    const succeeded = path.next();
    const ops = succeeded ? t.success : t.failure;
    const responses: ResponseOp[] = [];
    for (const op of ops) {
      const req = op.request;
      switch (req.case) {
        case 'requestRange':
          responses.push(create(ResponseOpSchema, { response: { case: 'responseRange', value: this.range(view, req.value) } }));
          break;
        case 'requestPut':
          responses.push(create(ResponseOpSchema, { response: { case: 'responsePut', value: this.put(must(w), req.value) } }));
          break;
        case 'requestDeleteRange':
          responses.push(
            create(ResponseOpSchema, { response: { case: 'responseDeleteRange', value: this.deleteRange(must(w), req.value) } }),
          );
          break;
        case 'requestTxn': {
          const nested = this.runTxn(view, w, req.value, path);
          nested.header = create(ResponseHeaderSchema, {});
          responses.push(create(ResponseOpSchema, { response: { case: 'responseTxn', value: nested } }));
          break;
        }
        default:
          break;
      }
    }
    return create(TxnResponseSchema, { succeeded, responses });
  }

  private compaction(c: CompactionRequest): ApplyResult {
    const { physicalDone } = wrapStoreErrors(() => this.store.compact(Number(c.revision)));
    const resp = create(CompactionResponseSchema, {
      header: create(ResponseHeaderSchema, { revision: BigInt(this.store.read().rev) }),
    });
    return { kind: 'compaction', resp, physicalDone };
  }
}

function must(w: KvWriter | null): KvWriter {
  if (!w) throw new Error('write op in a read-only txn');
  return w;
}

/** The outcome of every txn on the chosen path, in pre-order (etcd's compareToPath). */
class PathCursor {
  private i = 0;
  constructor(private readonly outcomes: boolean[]) {}
  next(): boolean {
    const v = this.outcomes[this.i++];
    if (v === undefined) throw new Error('txn path exhausted');
    return v;
  }
  rewind(): this {
    this.i = 0;
    return this;
  }
}

function compareToPath(view: KvReader, t: TxnRequest): PathCursor {
  const outcomes: boolean[] = [];
  const visit = (tx: TxnRequest): void => {
    const ok = tx.compare.every((c) => applyCompare(view, c));
    outcomes.push(ok);
    for (const op of ok ? tx.success : tx.failure) if (op.request.case === 'requestTxn') visit(op.request.value);
  };
  visit(t);
  return new PathCursor(outcomes);
}

/** Calls f on every non-txn op of the branches the path chooses. */
function walkChosen(t: TxnRequest, path: PathCursor, f: (op: RequestOp) => void): void {
  path.rewind();
  const visit = (tx: TxnRequest): void => {
    const ops = path.next() ? tx.success : tx.failure;
    for (const op of ops) {
      if (op.request.case === 'requestTxn') visit(op.request.value);
      else f(op);
    }
  };
  visit(t);
  path.rewind();
}

function checkRange(view: KvReader, op: RequestOp): void {
  if (op.request.case !== 'requestRange') return;
  const rev = op.request.value.revision;
  if (rev === 0n) return;
  if (rev > BigInt(view.rev)) throw Errors.futureRev();
  if (rev < BigInt(view.firstRev)) throw Errors.compacted();
}

function applyCompare(view: KvReader, c: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = view.range(c.key, c.rangeEnd, {}).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) {
    if (c.target === Compare_CompareTarget.VALUE) return false;
    return compareKv(c, undefined);
  }
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue | undefined): boolean {
  let result: number;
  const u = c.targetUnion;
  switch (c.target) {
    case Compare_CompareTarget.VALUE: {
      const want = u.case === 'value' ? u.value : new Uint8Array(0);
      result = Buffer.compare(kv ? kv.value : new Uint8Array(0), want);
      break;
    }
    case Compare_CompareTarget.CREATE:
      result = cmp64(kv?.createRevision ?? 0n, u.case === 'createRevision' ? u.value : 0n);
      break;
    case Compare_CompareTarget.MOD:
      result = cmp64(kv?.modRevision ?? 0n, u.case === 'modRevision' ? u.value : 0n);
      break;
    case Compare_CompareTarget.VERSION:
      result = cmp64(kv?.version ?? 0n, u.case === 'version' ? u.value : 0n);
      break;
    case Compare_CompareTarget.LEASE:
      result = cmp64(kv?.lease ?? 0n, u.case === 'lease' ? u.value : 0n);
      break;
    default:
      return true;
  }
  switch (c.result) {
    case Compare_CompareResult.EQUAL:
      return result === 0;
    case Compare_CompareResult.NOT_EQUAL:
      return result !== 0;
    case Compare_CompareResult.GREATER:
      return result > 0;
    case Compare_CompareResult.LESS:
      return result < 0;
    default:
      return true;
  }
}

function cmp64(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type KvCmp = (a: KeyValue, b: KeyValue) => number;
function comparatorFor(target: RangeRequest_SortTarget): KvCmp {
  switch (target) {
    case RangeRequest_SortTarget.VERSION:
      return (a, b) => cmp64(a.version, b.version);
    case RangeRequest_SortTarget.CREATE:
      return (a, b) => cmp64(a.createRevision, b.createRevision);
    case RangeRequest_SortTarget.MOD:
      return (a, b) => cmp64(a.modRevision, b.modRevision);
    case RangeRequest_SortTarget.VALUE:
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return (a, b) => Buffer.compare(a.key, b.key);
  }
}

/** Store and lessor errors become etcd's gRPC errors. */
export function mapStoreError(e: unknown): unknown {
  if (e instanceof ErrCompacted) return Errors.compacted();
  if (e instanceof ErrFutureRev) return Errors.futureRev();
  if (e instanceof LeaseNotFoundError) return Errors.leaseNotFound();
  if (e instanceof LeaseExistsError) return Errors.leaseExist();
  if (e instanceof LeaseTtlTooLargeError) return Errors.leaseTTLTooLarge();
  return e;
}

function wrapStoreErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw mapStoreError(e);
  }
}
