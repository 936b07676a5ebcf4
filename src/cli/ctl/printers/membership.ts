// Printing the results of member add/remove/update/promote and move-leader, per --write-out, as
// etcdctl 3.4's printers do: simple has its own sentences; json and protobuf print the gRPC
// response; fields and table have no form for them and end the command with exit 4 after the
// change was made.
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import {
  MemberAddResponseSchema, MemberPromoteResponseSchema, MemberRemoveResponseSchema, MemberUpdateResponseSchema,
  MoveLeaderResponseSchema,
  type Member, type MemberAddResponse, type MemberPromoteResponse, type MemberRemoveResponse,
  type MemberUpdateResponse, type MoveLeaderResponse, type ResponseHeader,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import type { Output } from '../io.js';
import { hexId, must } from './gofmt.js';
import { header, member, obj } from './json.js';
import { unsupported, type OutputFormat } from './printer.js';

export interface MembershipPrinter {
  memberAdd(r: MemberAddResponse): void;
  memberRemove(id: bigint, r: MemberRemoveResponse): void;
  memberUpdate(id: bigint, r: MemberUpdateResponse): void;
  memberPromote(id: bigint, r: MemberPromoteResponse): void;
  moveLeader(leader: bigint, target: bigint, r: MoveLeaderResponse): void;
}

/** Go's "%16x": hex, padded with spaces (not zeros) to 16 columns. */
function hex16(v: bigint): string {
  return v.toString(16).padStart(16, ' ');
}

class SimpleMembershipPrinter implements MembershipPrinter {
  constructor(private readonly out: Output) {}
  private cluster(h: ResponseHeader | undefined): string {
    return hex16(must(h).clusterId);
  }
  memberAdd(r: MemberAddResponse): void {
    this.out.write(`Member ${hex16(must(r.member).ID)} added to cluster ${this.cluster(r.header)}\n`);
  }
  memberRemove(id: bigint, r: MemberRemoveResponse): void {
    this.out.write(`Member ${hex16(id)} removed from cluster ${this.cluster(r.header)}\n`);
  }
  memberUpdate(id: bigint, r: MemberUpdateResponse): void {
    this.out.write(`Member ${hex16(id)} updated in cluster ${this.cluster(r.header)}\n`);
  }
  memberPromote(id: bigint, r: MemberPromoteResponse): void {
    this.out.write(`Member ${hex16(id)} promoted in cluster ${this.cluster(r.header)}\n`);
  }
  moveLeader(leader: bigint, target: bigint): void {
    this.out.write(`Leadership transferred from ${hexId(leader)} to ${hexId(target)}\n`);
  }
}

const ptrJson = <T>(v: T | undefined, f: (x: T) => string): string | undefined => (v === undefined ? undefined : f(v));
const membersJson = (ms: Member[]): string | undefined => (ms.length === 0 ? undefined : `[${ms.map(member).join(',')}]`);

class JsonMembershipPrinter implements MembershipPrinter {
  constructor(private readonly out: Output) {}
  private line(s: string): void {
    this.out.write(s + '\n');
  }
  private headerAndMembers(r: { header?: ResponseHeader | undefined; members: Member[] }): void {
    this.line(obj([['header', ptrJson(r.header, header)], ['members', membersJson(r.members)]]));
  }
  memberAdd(r: MemberAddResponse): void {
    this.line(obj([['header', ptrJson(r.header, header)], ['member', ptrJson(r.member, member)], ['members', membersJson(r.members)]]));
  }
  memberRemove(_id: bigint, r: MemberRemoveResponse): void { this.headerAndMembers(r); }
  memberUpdate(_id: bigint, r: MemberUpdateResponse): void { this.headerAndMembers(r); }
  memberPromote(_id: bigint, r: MemberPromoteResponse): void { this.headerAndMembers(r); }
  moveLeader(_leader: bigint, _target: bigint, r: MoveLeaderResponse): void {
    this.line(obj([['header', ptrJson(r.header, header)]]));
  }
}

class ProtobufMembershipPrinter implements MembershipPrinter {
  constructor(private readonly out: Output) {}
  private pb<D extends DescMessage>(schema: D, m: MessageShape<D>): void {
    this.out.write(toBinary(schema, m));
  }
  memberAdd(r: MemberAddResponse): void { this.pb(MemberAddResponseSchema, r); }
  memberRemove(_id: bigint, r: MemberRemoveResponse): void { this.pb(MemberRemoveResponseSchema, r); }
  memberUpdate(_id: bigint, r: MemberUpdateResponse): void { this.pb(MemberUpdateResponseSchema, r); }
  memberPromote(_id: bigint, r: MemberPromoteResponse): void { this.pb(MemberPromoteResponseSchema, r); }
  moveLeader(_leader: bigint, _target: bigint, r: MoveLeaderResponse): void { this.pb(MoveLeaderResponseSchema, r); }
}

class UnsupportedMembershipPrinter implements MembershipPrinter {
  constructor(private readonly format: string) {}
  memberAdd(): void { unsupported(this.format); }
  memberRemove(): void { unsupported(this.format); }
  memberUpdate(): void { unsupported(this.format); }
  memberPromote(): void { unsupported(this.format); }
  moveLeader(): void { unsupported(this.format); }
}

export function newMembershipPrinter(format: OutputFormat, out: Output): MembershipPrinter {
  switch (format) {
    case 'simple': return new SimpleMembershipPrinter(out);
    case 'json': return new JsonMembershipPrinter(out);
    case 'protobuf': return new ProtobufMembershipPrinter(out);
    case 'fields':
    case 'table': return new UnsupportedMembershipPrinter(format);
  }
}
