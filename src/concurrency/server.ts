// What the recipes need from a member. A narrow view of EtcdServer: the recipes go through the
// same public calls a client would (every write is a proposal through the one apply path), plus
// the watch hub to wait for deletions without polling.
import type { ResponseHeader } from '../gen/etcdserverpb/rpc_pb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { EtcdError, GrpcCode } from '../server/errors.js';

export type RecipeServer = Pick<EtcdServer, 'range' | 'txn' | 'deleteRange' | 'leaseGrant' | 'watchHub' | 'baseHeader'>;

/** The header every server response carries (the server always fills it in). */
export function headerOf(r: { header?: ResponseHeader }): ResponseHeader {
  if (r.header === undefined) throw new EtcdError(GrpcCode.Internal, 'tsetcd: response without a header');
  return r.header;
}
