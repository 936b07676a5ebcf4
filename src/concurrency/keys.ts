// Key layout of etcd's concurrency recipes (clientv3/concurrency): every contender of a lock or
// election named N owns the key "N/<lease id in lowercase hex>", attached to that lease, and the
// contender whose key has the smallest create revision holds the lock / leads. Keys are bytes:
// a name is never decoded as text.
import { create } from '@bufbuild/protobuf';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  type Compare,
  CompareSchema,
  type RangeRequest,
  RangeRequestSchema,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type RequestOp,
  RequestOpSchema,
  PutRequestSchema,
  DeleteRangeRequestSchema,
} from '../gen/etcdserverpb/rpc_pb.js';

const SLASH = Uint8Array.of(0x2f);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** "name/": the prefix under which all contenders of `name` put their keys. */
export function recipePrefix(name: Uint8Array): Uint8Array {
  return concatBytes(name, SLASH);
}

/** The contender key of a lease: prefix + lease id in hex (Go's %x, so a negative id keeps its '-'). */
export function contenderKey(prefix: Uint8Array, lease: bigint): Uint8Array {
  return concatBytes(prefix, Buffer.from(lease.toString(16), 'latin1'));
}

/** The range_end selecting every key that starts with prefix (etcd's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const b = end[i]!;
    if (b < 0xff) {
      end[i] = b + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0);
}

/** The oldest key under prefix (clientv3's WithFirstCreate): the lock holder / the leader. */
export function firstCreated(prefix: Uint8Array): RangeRequest {
  return create(RangeRequestSchema, {
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    limit: 1n,
    sortOrder: RangeRequest_SortOrder.ASCEND,
    sortTarget: RangeRequest_SortTarget.CREATE,
  });
}

/**
 * The newest key under prefix created at or before maxCreateRev (clientv3's WithLastCreate +
 * WithMaxCreateRev): the contender directly ahead of the one whose key was created after it.
 */
export function lastCreatedBefore(prefix: Uint8Array, maxCreateRev: bigint): RangeRequest {
  return create(RangeRequestSchema, {
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    limit: 1n,
    sortOrder: RangeRequest_SortOrder.DESCEND,
    sortTarget: RangeRequest_SortTarget.CREATE,
    maxCreateRevision: maxCreateRev,
  });
}

/** Compare: key's create revision equals rev (0 = the key does not exist). */
export function createRevIs(key: Uint8Array, rev: bigint): Compare {
  return create(CompareSchema, {
    key,
    result: Compare_CompareResult.EQUAL,
    target: Compare_CompareTarget.CREATE,
    targetUnion: { case: 'createRevision', value: rev },
  });
}

export function opRange(r: RangeRequest): RequestOp {
  return create(RequestOpSchema, { request: { case: 'requestRange', value: r } });
}

export function opGet(key: Uint8Array): RequestOp {
  return opRange(create(RangeRequestSchema, { key }));
}

export function opPut(key: Uint8Array, value: Uint8Array, lease: bigint): RequestOp {
  return create(RequestOpSchema, { request: { case: 'requestPut', value: create(PutRequestSchema, { key, value, lease }) } });
}

export function opDelete(key: Uint8Array): RequestOp {
  return create(RequestOpSchema, { request: { case: 'requestDeleteRange', value: create(DeleteRangeRequestSchema, { key }) } });
}
