// -w fields: etcdctl's printer_fields.go, one `"Name" : value` line per field (Go's fmt.Println
// spacing, %q for strings and keys).
import {
  AlarmType,
  type LeaseGrantResponse, type LeaseKeepAliveResponse, type LeaseLeasesResponse, type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse,
  type AlarmResponse, type DeleteRangeResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type ResponseHeader, type TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { KeyValue } from '../../../gen/mvccpb/kv_pb.js';
import { goQuote, goQuoteString } from '../goparse.js';
import type { Output } from '../io.js';
import { must } from './gofmt.js';
import type { EpHashKV, EpHealth, EpStatus, Printer } from './printer.js';

export class FieldsPrinter implements Printer {
  constructor(private readonly out: Output) {}

  private w(s: string): void {
    this.out.write(s + '\n');
  }

  private kv(pfx: string, kv: KeyValue): void {
    this.w(`"${pfx}Key" : ${goQuote(kv.key)}`);
    this.w(`"${pfx}CreateRevision" : ${kv.createRevision}`);
    this.w(`"${pfx}ModRevision" : ${kv.modRevision}`);
    this.w(`"${pfx}Version" : ${kv.version}`);
    this.w(`"${pfx}Value" : ${goQuote(kv.value)}`);
    this.w(`"${pfx}Lease" : ${kv.lease}`);
  }

  private hdr(hv: ResponseHeader | undefined): void {
    const h = must(hv);
    this.w(`"ClusterID" : ${h.clusterId}`);
    this.w(`"MemberID" : ${h.memberId}`);
    this.w(`"Revision" : ${h.revision}`);
    this.w(`"RaftTerm" : ${h.raftTerm}`);
  }

  del(r: DeleteRangeResponse): void {
    this.hdr(r.header);
    this.w(`"Deleted" : ${r.deleted}`);
    for (const kv of r.prevKvs) this.kv('Prev', kv);
  }

  get(r: RangeResponse): void {
    this.hdr(r.header);
    for (const kv of r.kvs) this.kv('', kv);
    this.w(`"More" : ${r.more}`);
    this.w(`"Count" : ${r.count}`);
  }

  put(r: PutResponse): void {
    this.hdr(r.header);
    if (r.prevKv !== undefined) this.kv('Prev', r.prevKv);
  }

  txn(r: TxnResponse): void {
    this.hdr(r.header);
    this.w(`"Succeeded" : ${r.succeeded}`);
    for (const op of r.responses) {
      const x = op.response;
      switch (x.case) {
        case 'responseDeleteRange': this.del(x.value); break;
        case 'responsePut': this.put(x.value); break;
        case 'responseRange': this.get(x.value); break;
        default: this.w(`"Unknown" : ${goQuoteString(String(x.case))}`);
      }
    }
  }

  memberList(r: MemberListResponse): void {
    this.hdr(r.header);
    for (const m of r.members) {
      this.w(`"ID" : ${m.ID}`);
      this.w(`"Name" : ${goQuoteString(m.name)}`);
      for (const u of m.peerURLs) this.w(`"PeerURL" : ${goQuoteString(u)}`);
      for (const u of m.clientURLs) this.w(`"ClientURL" : ${goQuoteString(u)}`);
      this.w(`"IsLearner" : ${m.isLearner}`);
      this.w('');
    }
  }

  endpointHealth(hs: EpHealth[]): void {
    for (const h of hs) {
      this.w(`"Endpoint" : ${goQuoteString(h.ep)}`);
      this.w(`"Health" : ${h.health}`);
      this.w(`"Took" : ${h.took}`);
      this.w(`"Error" : ${h.error}`);
      this.w('');
    }
  }

  endpointStatus(ss: EpStatus[]): void {
    for (const s of ss) {
      this.hdr(s.resp.header);
      this.w(`"Version" : ${goQuoteString(s.resp.version)}`);
      this.w(`"DBSize" : ${s.resp.dbSize}`);
      this.w(`"Leader" : ${s.resp.leader}`);
      this.w(`"IsLearner" : ${s.resp.isLearner}`);
      this.w(`"RaftIndex" : ${s.resp.raftIndex}`);
      this.w(`"RaftTerm" : ${s.resp.raftTerm}`);
      this.w(`"RaftAppliedIndex" : ${s.resp.raftAppliedIndex}`);
      this.w(`"Errors" : [${s.resp.errors.join(' ')}]`);
      this.w(`"Endpoint" : ${goQuoteString(s.ep)}`);
      this.w('');
    }
  }

  endpointHashKV(hs: EpHashKV[]): void {
    for (const h of hs) {
      this.hdr(h.resp.header);
      this.w(`"Endpoint" : ${goQuoteString(h.ep)}`);
      this.w(`"Hash" : ${h.resp.hash}`);
      this.w('');
    }
  }

  alarm(r: AlarmResponse): void {
    // etcd sends Alarm responses without a header; etcdctl 3.4 then panics here (exit 2).
    this.hdr(r.header);
    for (const a of r.alarms) {
      this.w(`"MemberID" : ${a.memberID}`);
      this.w(`"AlarmType" : ${AlarmType[a.alarm] ?? String(a.alarm)}`);
      this.w('');
    }
  }

  grant(r: LeaseGrantResponse): void {
    this.hdr(r.header);
    this.w(`"ID" : ${r.ID}`);
    this.w(`"TTL" : ${r.TTL}`);
  }

  revoke(_id: bigint, r: LeaseRevokeResponse): void {
    this.hdr(r.header);
  }

  keepAlive(r: LeaseKeepAliveResponse): void {
    this.hdr(r.header);
    this.w(`"ID" : ${r.ID}`);
    this.w(`"TTL" : ${r.TTL}`);
  }

  timeToLive(r: LeaseTimeToLiveResponse): void {
    this.hdr(r.header);
    this.w(`"ID" : ${r.ID}`);
    this.w(`"TTL" : ${r.TTL}`);
    this.w(`"GrantedTTL" : ${r.grantedTTL}`);
    for (const k of r.keys) this.w(`"Key" : ${goQuote(k)}`);
  }

  leases(r: LeaseLeasesResponse): void {
    this.hdr(r.header);
    for (const l of r.leases) this.w(`"ID" : ${l.ID}`);
  }
}
