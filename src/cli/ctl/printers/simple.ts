// -w simple (the default): etcdctl's printer_simple.go. Keys and values are written as raw bytes.
import {
  AlarmType,
  type AlarmResponse, type DeleteRangeResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { KeyValue } from '../../../gen/mvccpb/kv_pb.js';
import type { Output } from '../io.js';
import { hexEscape } from './gofmt.js';
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
}
