// -w json: Go's encoding/json applied to etcd's gogo-protobuf structs, i.e. the field names of
// their json tags, zero values omitted (omitempty), []byte as base64, enums as numbers and
// 64-bit integers as bare numbers (bigint here, so ids above 2^53 stay exact).
import type {
  LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse,
  AlarmResponse, DeleteRangeResponse, HashKVResponse, Member, MemberListResponse, PutResponse,
  RangeResponse, ResponseHeader, ResponseOp, StatusResponse, TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { KeyValue } from '../../../gen/mvccpb/kv_pb.js';
import type { Output } from '../io.js';
import { unsupported, type EpHashKV, type EpHealth, type EpStatus, type Printer } from './printer.js';

type Field = [name: string, json: string | undefined];

/** A JSON object with Go's omitempty: fields whose value is undefined are left out. */
export function obj(fields: Field[]): string {
  return `{${fields.filter((f) => f[1] !== undefined).map(([k, v]) => `${str(k)}:${v as string}`).join(',')}}`;
}

/** Go json string encoding: HTML-safe escapes, U+2028/2029 escaped, other control chars as \u00XX. */
export function str(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

const num = (v: bigint | number): string | undefined => (v === 0n || v === 0 ? undefined : v.toString());
const bool = (v: boolean): string | undefined => (v ? 'true' : undefined);
const text = (v: string): string | undefined => (v === '' ? undefined : str(v));
const bytes = (v: Uint8Array): string | undefined => (v.length === 0 ? undefined : str(Buffer.from(v).toString('base64')));
function arr<T>(v: T[], f: (x: T) => string): string | undefined {
  return v.length === 0 ? undefined : `[${v.map(f).join(',')}]`;
}
function ptr<T>(v: T | undefined, f: (x: T) => string): string | undefined {
  return v === undefined ? undefined : f(v);
}

export function header(h: ResponseHeader): string {
  return obj([['cluster_id', num(h.clusterId)], ['member_id', num(h.memberId)], ['revision', num(h.revision)], ['raft_term', num(h.raftTerm)]]);
}

export function keyValue(kv: KeyValue): string {
  return obj([
    ['key', bytes(kv.key)], ['create_revision', num(kv.createRevision)], ['mod_revision', num(kv.modRevision)],
    ['version', num(kv.version)], ['value', bytes(kv.value)], ['lease', num(kv.lease)],
  ]);
}

export function rangeResponse(r: RangeResponse): string {
  return obj([['header', ptr(r.header, header)], ['kvs', arr(r.kvs, keyValue)], ['more', bool(r.more)], ['count', num(r.count)]]);
}

export function putResponse(r: PutResponse): string {
  return obj([['header', ptr(r.header, header)], ['prev_kv', ptr(r.prevKv, keyValue)]]);
}

export function deleteResponse(r: DeleteRangeResponse): string {
  return obj([['header', ptr(r.header, header)], ['deleted', num(r.deleted)], ['prev_kvs', arr(r.prevKvs, keyValue)]]);
}

function responseOp(op: ResponseOp): string {
  // The oneof is an interface field without a json tag: Go names it after the struct fields.
  const r = op.response;
  let inner: string;
  switch (r.case) {
    case 'responseRange': inner = obj([['ResponseRange', rangeResponse(r.value)]]); break;
    case 'responsePut': inner = obj([['ResponsePut', putResponse(r.value)]]); break;
    case 'responseDeleteRange': inner = obj([['ResponseDeleteRange', deleteResponse(r.value)]]); break;
    case 'responseTxn': inner = obj([['ResponseTxn', txnResponse(r.value)]]); break;
    default: inner = 'null';
  }
  return obj([['Response', inner]]);
}

export function txnResponse(r: TxnResponse): string {
  return obj([['header', ptr(r.header, header)], ['succeeded', bool(r.succeeded)], ['responses', arr(r.responses, responseOp)]]);
}

export function member(m: Member): string {
  return obj([
    ['ID', num(m.ID)], ['name', text(m.name)], ['peerURLs', arr(m.peerURLs, str)], ['clientURLs', arr(m.clientURLs, str)],
    ['isLearner', bool(m.isLearner)],
  ]);
}

export function memberListResponse(r: MemberListResponse): string {
  return obj([['header', ptr(r.header, header)], ['members', arr(r.members, member)]]);
}

export function statusResponse(r: StatusResponse): string {
  return obj([
    ['header', ptr(r.header, header)], ['version', text(r.version)], ['dbSize', num(r.dbSize)], ['leader', num(r.leader)],
    ['raftIndex', num(r.raftIndex)], ['raftTerm', num(r.raftTerm)], ['raftAppliedIndex', num(r.raftAppliedIndex)],
    ['errors', arr(r.errors, str)], ['dbSizeInUse', num(r.dbSizeInUse)], ['isLearner', bool(r.isLearner)],
  ]);
}

export function hashKVResponse(r: HashKVResponse): string {
  return obj([['header', ptr(r.header, header)], ['hash', num(r.hash)], ['compact_revision', num(r.compactRevision)]]);
}

export function alarmResponse(r: AlarmResponse): string {
  return obj([
    ['header', ptr(r.header, header)],
    ['alarms', arr(r.alarms, (a) => obj([['memberID', num(a.memberID)], ['alarm', num(a.alarm)]]))],
  ]);
}

/**
 * clientv3's lease responses embed *pb.ResponseHeader: Go's encoder lifts its fields to the top
 * level (none when the header is nil), and their own fields have no omitempty.
 */
function flatHeader(h: ResponseHeader | undefined): Field[] {
  if (h === undefined) return [];
  return [['cluster_id', num(h.clusterId)], ['member_id', num(h.memberId)], ['revision', num(h.revision)], ['raft_term', num(h.raftTerm)]];
}

const nullableArr = <T>(v: T[], f: (x: T) => string): string => (v.length === 0 ? 'null' : `[${v.map(f).join(',')}]`);

export function leaseGrant(r: LeaseGrantResponse): string {
  return obj([...flatHeader(r.header), ['ID', r.ID.toString()], ['TTL', r.TTL.toString()], ['Error', str(r.error)]]);
}
export function leaseKeepAlive(r: LeaseKeepAliveResponse): string {
  return obj([...flatHeader(r.header), ['ID', r.ID.toString()], ['TTL', r.TTL.toString()]]);
}
export function leaseTimeToLive(r: LeaseTimeToLiveResponse): string {
  return obj([
    ...flatHeader(r.header), ['id', r.ID.toString()], ['ttl', r.TTL.toString()], ['granted-ttl', r.grantedTTL.toString()],
    ['keys', nullableArr(r.keys, (k) => str(Buffer.from(k).toString('base64')))],
  ]);
}
export function leaseLeases(r: LeaseLeasesResponse): string {
  // clientv3 always allocates the slice: an empty list is [], not null.
  return obj([...flatHeader(r.header), ['leases', `[${r.leases.map((l) => obj([['id', l.ID.toString()]])).join(',')}]`]]);
}

export class JsonPrinter implements Printer {
  constructor(private readonly out: Output) {}
  private line(s: string): void {
    this.out.write(s + '\n');
  }
  del(r: DeleteRangeResponse): void { this.line(deleteResponse(r)); }
  get(r: RangeResponse): void { this.line(rangeResponse(r)); }
  put(r: PutResponse): void { this.line(putResponse(r)); }
  txn(r: TxnResponse): void { this.line(txnResponse(r)); }
  memberList(r: MemberListResponse): void { this.line(memberListResponse(r)); }
  alarm(r: AlarmResponse): void { this.line(alarmResponse(r)); }
  grant(r: LeaseGrantResponse): void { this.line(leaseGrant(r)); }
  revoke(_id: bigint, r: LeaseRevokeResponse): void { this.line(obj([['header', ptr(r.header, header)]])); }
  keepAlive(r: LeaseKeepAliveResponse): void { this.line(leaseKeepAlive(r)); }
  timeToLive(r: LeaseTimeToLiveResponse): void { this.line(leaseTimeToLive(r)); }
  leases(r: LeaseLeasesResponse): void { this.line(leaseLeases(r)); }
  endpointHealth(hs: EpHealth[]): void {
    // epHealth's tags: endpoint, health and took always present, error omitempty.
    this.line(`[${hs.map((h) => obj([['endpoint', str(h.ep)], ['health', h.health ? 'true' : 'false'], ['took', str(h.took)], ['error', text(h.error)]])).join(',')}]`);
  }
  endpointStatus(ss: EpStatus[]): void {
    this.line(`[${ss.map((s) => obj([['Endpoint', str(s.ep)], ['Status', statusResponse(s.resp)]])).join(',')}]`);
  }
  endpointHashKV(hs: EpHashKV[]): void {
    this.line(`[${hs.map((h) => obj([['Endpoint', str(h.ep)], ['HashKV', hashKVResponse(h.resp)]])).join(',')}]`);
  }
}

export { unsupported };
