// etcd's v3 Lock service (etcdserver/api/v3lock on clientv3/concurrency's Mutex), in-process.
//
// Lock(name, lease): the caller's key is name/<lease hex>, put with its lease if it does not
// exist yet (a lease that already holds the key keeps its place in line). Contenders are ordered
// by their key's create revision; the lock is held once every older key under name/ is gone —
// Unlock deleted it, or its lease expired or was revoked, which is what frees a lock whose holder
// died. Unlock(key) is a plain delete of that key.
//
// Cancellation: a caller that goes away while waiting (its AbortSignal fires) must not leave its
// key in line, or everyone behind it would wait for the lease to expire. The key is deleted on
// every failed or abandoned wait, including an abort that lands while the initial put is in
// flight (etcd's client can leak the key in that window).
import { create } from '@bufbuild/protobuf';
import { DeleteRangeRequestSchema, TxnRequestSchema, type ResponseHeader } from '../gen/etcdserverpb/rpc_pb.js';
import { type LockRequest, type LockResponse, LockResponseSchema, type UnlockRequest, type UnlockResponse, UnlockResponseSchema } from '../gen/v3lockpb/v3lock_pb.js';
import { ConcurrencyErrors, asRecipeErrors, throwIfAborted } from './errors.js';
import { contenderKey, createRevIs, firstCreated, opGet, opPut, opRange, recipePrefix } from './keys.js';
import { headerOf, type RecipeServer } from './server.js';
import { sessionLease } from './session.js';
import { rangeKvs, waitDeletes } from './wait.js';

const EMPTY = new Uint8Array(0);

export function lock(server: RecipeServer, req: LockRequest, signal?: AbortSignal): Promise<LockResponse> {
  return asRecipeErrors(() => lockImpl(server, req, signal));
}

async function lockImpl(server: RecipeServer, req: LockRequest, signal?: AbortSignal): Promise<LockResponse> {
  throwIfAborted(signal);
  const lease = await sessionLease(server, req.lease);
  const prefix = recipePrefix(req.name);
  const key = contenderKey(prefix, lease);
  // One round trip for the uncontended case: join the line (or find our existing place in it)
  // and read who is first.
  const t = await server.txn(
    create(TxnRequestSchema, {
      compare: [createRevIs(key, 0n)],
      success: [opPut(key, EMPTY, lease), opRange(firstCreated(prefix))],
      failure: [opGet(key), opRange(firstCreated(prefix))],
    }),
  );
  const myRev = t.succeeded ? headerOf(t).revision : rangeKvs(t, 0)[0]!.createRevision;
  const holder = rangeKvs(t, 1)[0];
  let header: ResponseHeader;
  try {
    // An abort during the put: take back the key we just put. A key this lease already held
    // (an earlier Lock) is that call's to release, not ours.
    if (t.succeeded) throwIfAborted(signal);
    if (holder === undefined || holder.createRevision === myRev) {
      header = headerOf(t);
    } else {
      // If our key dies while we wait (its lease expired), the wait ends with etcd 3.5's
      // ErrSessionExpired rather than grant a lock we no longer queue for.
      header = await waitDeletes(server, prefix, { key, rev: myRev, lost: ConcurrencyErrors.sessionExpired }, signal);
    }
  } catch (e) {
    await releaseQuietly(server, key);
    throw e;
  }
  return create(LockResponseSchema, { header, key });
}

export function unlock(server: RecipeServer, req: UnlockRequest): Promise<UnlockResponse> {
  return asRecipeErrors(() => unlockImpl(server, req));
}

async function unlockImpl(server: RecipeServer, req: UnlockRequest): Promise<UnlockResponse> {
  const d = await server.deleteRange(create(DeleteRangeRequestSchema, { key: req.key }));
  return create(UnlockResponseSchema, { header: headerOf(d) });
}

async function releaseQuietly(server: RecipeServer, key: Uint8Array): Promise<void> {
  // Best effort: if the member is stopping the delete fails too, and the lease ends the key.
  await server.deleteRange(create(DeleteRangeRequestSchema, { key })).catch(() => undefined);
}
