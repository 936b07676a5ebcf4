// -w protobuf: the response message in protobuf binary, nothing else (etcdctl printer_protobuf.go).
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import {
  AlarmResponseSchema, DeleteRangeResponseSchema, LeaseRevokeResponseSchema, type LeaseRevokeResponse, MemberListResponseSchema, PutResponseSchema,
  RangeResponseSchema, TxnResponseSchema,
  type AlarmResponse, type DeleteRangeResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { Output } from '../io.js';
import { unsupported, type Printer } from './printer.js';
import { ExitBadFeature, exitWithError } from '../exit.js';

function marshalUnsupported(type: string): never {
  const t = type.startsWith('*') ? type : `clientv3.${type}`;
  return exitWithError(ExitBadFeature, `marshal unsupported for type ${t}`);
}

export class ProtobufPrinter implements Printer {
  constructor(private readonly out: Output) {}
  private pb<D extends DescMessage>(schema: D, m: MessageShape<D>): void {
    this.out.write(toBinary(schema, m));
  }
  del(r: DeleteRangeResponse): void { this.pb(DeleteRangeResponseSchema, r); }
  get(r: RangeResponse): void { this.pb(RangeResponseSchema, r); }
  put(r: PutResponse): void { this.pb(PutResponseSchema, r); }
  txn(r: TxnResponse): void { this.pb(TxnResponseSchema, r); }
  memberList(r: MemberListResponse): void { this.pb(MemberListResponseSchema, r); }
  alarm(r: AlarmResponse): void { this.pb(AlarmResponseSchema, r); }
  revoke(_id: bigint, r: LeaseRevokeResponse): void { this.pb(LeaseRevokeResponseSchema, r); }
  // etcdctl hands clientv3's own lease structs to the protobuf marshaller, which refuses them
  // (its message also prints the struct with pointers; we keep the type name only).
  grant(): void { marshalUnsupported('LeaseGrantResponse'); }
  keepAlive(): void { marshalUnsupported('LeaseKeepAliveResponse'); }
  timeToLive(): void { marshalUnsupported('*clientv3.LeaseTimeToLiveResponse'); }
  leases(): void { marshalUnsupported('*clientv3.LeaseLeasesResponse'); }
  endpointHealth(): void { unsupported('protobuf'); }
  endpointStatus(): void { unsupported('protobuf'); }
  endpointHashKV(): void { unsupported('protobuf'); }
}
