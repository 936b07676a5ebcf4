// etcd's Lock and Election servers wrap every call in a clientv3 concurrency Session built on the
// request's lease and immediately orphaned (no keepalive: keeping the lease alive is the caller's
// job). A lease of 0 makes that session grant a fresh lease with the default session TTL, so a
// caller that passes no lease still gets a lock/leadership that ends by itself.
import { create } from '@bufbuild/protobuf';
import { LeaseGrantRequestSchema } from '../gen/etcdserverpb/rpc_pb.js';
import type { RecipeServer } from './server.js';

/** clientv3/concurrency's defaultSessionTTL, in seconds. */
export const DEFAULT_SESSION_TTL = 60n;

/** The lease a recipe call runs under: the caller's, or a fresh default-TTL lease for 0. */
export async function sessionLease(server: RecipeServer, lease: bigint): Promise<bigint> {
  if (lease !== 0n) return lease;
  const g = await server.leaseGrant(create(LeaseGrantRequestSchema, { TTL: DEFAULT_SESSION_TTL }));
  return g.ID;
}
