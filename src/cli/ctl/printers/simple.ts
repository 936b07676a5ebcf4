// -w simple (the default): etcdctl's printer_simple.go. Keys and values are written as raw bytes.
import {
  AlarmType,
  type LeaseGrantResponse, type LeaseKeepAliveResponse, type LeaseLeasesResponse,
  type LeaseTimeToLiveResponse,
  type AlarmResponse, type DeleteRangeResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { KeyValue } from '../../../gen/mvccpb/kv_pb.js';
import type { Output } from '../io.js';
import { hexEscape, hexId16 } from './gofmt.js';
import type { EpHashKV, EpHealth, EpStatus, Printer } from './printer.js';
import { endpointStatusRows, hashKVRows, memberListRows } from './rows.js';

export class SimplePrinter implements Printer {
  /** get --print-value-only */
  valueOnly = false;

  constructor(private readonly out: Output, private readonly err: Output, private readonly isHex: boolean) {}

  private kv(kv: KeyValue): void {
    const k = this.isHex ? Buffer.from(hexEscape(kv.key)) : kv.key;
    const v = this.isHex ? Buffer.from(hexEscape(kv.value)) : kv.value;
    if (!this.valueOnly) {
      this.out.write(k);
      this.out.write('\n');
    }
    this.out.write(v);
    this.out.write('\n');
  }

  del(r: DeleteRangeResponse): void {
    this.out.write(`${r.deleted}\n`);
    for (const kv of r.prevKvs) this.kv(kv);
  }

  get(r: RangeResponse): void {
    for (const kv of r.kvs) this.kv(kv);
  }

  put(r: PutResponse): void {
    this.out.write('OK\n');
    if (r.prevKv !== undefined) this.kv(r.prevKv);
  }

  txn(r: TxnResponse): void {
    this.out.write(r.succeeded ? 'SUCCESS\n' : 'FAILURE\n');
    for (const op of r.responses) {
      this.out.write('\n');
      const x = op.response;
      switch (x.case) {
        case 'responseDeleteRange': this.del(x.value); break;
        case 'responsePut': this.put(x.value); break;
        case 'responseRange': this.get(x.value); break;
        default:
          // etcdctl prints Go's %+v of the op; a nested txn response has no simple form.
          this.out.write(`unexpected response ${x.case ?? 'nil'}\n`);
      }
    }
  }

  memberList(r: MemberListResponse): void {
    for (const row of memberListRows(r)) this.out.write(row.join(', ') + '\n');
  }

  endpointHealth(hs: EpHealth[]): void {
    // etcdctl writes health to stderr, in every outcome.
    for (const h of hs) {
      if (h.error === '') this.err.write(`${h.ep} is healthy: successfully committed proposal: took = ${h.took}\n`);
      else this.err.write(`${h.ep} is unhealthy: failed to commit proposal: ${h.error}\n`);
    }
  }

  endpointStatus(ss: EpStatus[]): void {
    for (const row of endpointStatusRows(ss)) this.out.write(row.join(', ') + '\n');
  }

  endpointHashKV(hs: EpHashKV[]): void {
    for (const row of hashKVRows(hs)) this.out.write(row.join(', ') + '\n');
  }

  alarm(r: AlarmResponse): void {
    // Go's %+v of *AlarmMember is its compact text form: set fields, each followed by a space.
    for (const a of r.alarms) {
      let s = '';
      if (a.memberID !== 0n) s += `memberID:${a.memberID} `;
      if (a.alarm !== AlarmType.NONE) s += `alarm:${AlarmType[a.alarm] ?? String(a.alarm)} `;
      this.out.write(s + '\n');
    }
  }

  grant(r: LeaseGrantResponse): void {
    this.out.write(`lease ${hexId16(r.ID)} granted with TTL(${r.TTL}s)\n`);
  }

  revoke(id: bigint): void {
    this.out.write(`lease ${hexId16(id)} revoked\n`);
  }

  keepAlive(r: LeaseKeepAliveResponse): void {
    this.out.write(`lease ${hexId16(r.ID)} keepalived with TTL(${r.TTL})\n`);
  }

  timeToLive(r: LeaseTimeToLiveResponse, keys: boolean): void {
    if (r.grantedTTL === 0n && r.TTL === -1n) {
      this.out.write(`lease ${hexId16(r.ID)} already expired\n`);
      return;
    }
    const txt = `lease ${hexId16(r.ID)} granted with TTL(${r.grantedTTL}s), remaining(${r.TTL}s)`;
    // Go's %v of a []string: [a b c]; keys are raw bytes.
    const parts: Uint8Array[] = [Buffer.from(txt)];
    if (keys) {
      parts.push(Buffer.from(', attached keys(['));
      r.keys.forEach((k, i) => { if (i > 0) parts.push(Buffer.from(' ')); parts.push(k); });
      parts.push(Buffer.from('])'));
    }
    parts.push(Buffer.from('\n'));
    for (const p of parts) this.out.write(p);
  }

  leases(r: LeaseLeasesResponse): void {
    this.out.write(`found ${r.leases.length} leases\n`);
    for (const l of r.leases) this.out.write(`${hexId16(l.ID)}\n`);
  }
}
