// -w protobuf: the response message in protobuf binary, nothing else (etcdctl printer_protobuf.go).
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import {
  AlarmResponseSchema, DeleteRangeResponseSchema, MemberListResponseSchema, PutResponseSchema,
  RangeResponseSchema, TxnResponseSchema,
  type AlarmResponse, type DeleteRangeResponse, type MemberListResponse, type PutResponse,
  type RangeResponse, type TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { Output } from '../io.js';
import { unsupported, type Printer } from './printer.js';

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
  endpointHealth(): void { unsupported('protobuf'); }
  endpointStatus(): void { unsupported('protobuf'); }
  endpointHashKV(): void { unsupported('protobuf'); }
}
