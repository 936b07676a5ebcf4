// etcd's v3 Election service (etcdserver/api/v3election on clientv3/concurrency's Election),
// in-process.
//
// Campaign(name, lease, value): like a lock, the candidate's key is name/<lease hex>, put with
// the value and the lease; the candidate whose key has the smallest create revision leads. The
// LeaderKey handed back (name, key, create revision, lease) is the candidate's proof of
// leadership: Proclaim and Resign act only while the key still has that create revision, so a
// leader whose lease expired (its key deleted, maybe re-created later) can no longer speak.
// Leader(name) reads the oldest key; Observe(name) follows it over time.
import { create } from '@bufbuild/protobuf';
import { ResponseHeaderSchema, TxnRequestSchema, type ResponseHeader } from '../gen/etcdserverpb/rpc_pb.js';
import { Event_EventType, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import {
  type CampaignRequest,
  type CampaignResponse,
  CampaignResponseSchema,
  type LeaderKey,
  LeaderKeySchema,
  type LeaderRequest,
  type LeaderResponse,
  LeaderResponseSchema,
  type ProclaimRequest,
  type ProclaimResponse,
  ProclaimResponseSchema,
  type ResignRequest,
  type ResignResponse,
  ResignResponseSchema,
} from '../gen/v3electionpb/v3election_pb.js';
import { ConcurrencyErrors, asRecipeErrors, throwIfAborted, toRecipeError } from './errors.js';
import { contenderKey, createRevIs, firstCreated, opDelete, opGet, opPut, recipePrefix } from './keys.js';
import { headerOf, type RecipeServer } from './server.js';
import { sessionLease } from './session.js';
import { WatchFeed, prefixRange, rangeKvs, singleKey, waitDeletes } from './wait.js';

export function campaign(server: RecipeServer, req: CampaignRequest, signal?: AbortSignal): Promise<CampaignResponse> {
  return asRecipeErrors(() => campaignImpl(server, req, signal));
}

async function campaignImpl(server: RecipeServer, req: CampaignRequest, signal?: AbortSignal): Promise<CampaignResponse> {
  throwIfAborted(signal);
  const lease = await sessionLease(server, req.lease);
  const prefix = recipePrefix(req.name);
  const key = contenderKey(prefix, lease);
  const t = await server.txn(
    create(TxnRequestSchema, {
      compare: [createRevIs(key, 0n)],
      success: [opPut(key, req.value, lease)],
      failure: [opGet(key)],
    }),
  );
  let rev = headerOf(t).revision;
  try {
    if (!t.succeeded) {
      // This lease already campaigns here: keep its place in line, but post the new value.
      const mine = rangeKvs(t, 0)[0]!;
      rev = mine.createRevision;
      if (!Buffer.from(mine.value).equals(req.value)) await proclaimAt(server, key, rev, lease, req.value);
    }
    throwIfAborted(signal);
    // As for locks: if our key dies while we wait (lease expired), we cannot win.
    await waitDeletes(server, prefix, { key, rev, lost: ConcurrencyErrors.notLeader }, signal);
  } catch (e) {
    // A candidate that gives up (or is cancelled) leaves the line, so nobody waits on its key.
    await resignAt(server, key, rev).catch(() => undefined);
    throw e;
  }
  const leader = create(LeaderKeySchema, { name: req.name, key, rev, lease });
  // etcd answers with the header of the campaign's own put, however long the wait was.
  return create(CampaignResponseSchema, { header: headerOf(t), leader });
}

export function proclaim(server: RecipeServer, req: ProclaimRequest): Promise<ProclaimResponse> {
  return asRecipeErrors(() => proclaimImpl(server, req));
}

async function proclaimImpl(server: RecipeServer, req: ProclaimRequest): Promise<ProclaimResponse> {
  const l = requireLeader(req.leader);
  // etcd's session semantics: a LeaderKey with lease 0 makes the session grant a fresh lease, and
  // the re-put key is attached to it.
  const lease = await sessionLease(server, l.lease);
  const header = await proclaimAt(server, l.key, l.rev, lease, req.value);
  return create(ProclaimResponseSchema, { header });
}

export function resign(server: RecipeServer, req: ResignRequest): Promise<ResignResponse> {
  return asRecipeErrors(() => resignImpl(server, req));
}

async function resignImpl(server: RecipeServer, req: ResignRequest): Promise<ResignResponse> {
  const l = requireLeader(req.leader);
  // Resigning a leadership already lost is not an error (etcd: the guarded delete just does nothing).
  const header = await resignAt(server, l.key, l.rev);
  return create(ResignResponseSchema, { header });
}

export function leader(server: RecipeServer, req: LeaderRequest): Promise<LeaderResponse> {
  return asRecipeErrors(() => leaderImpl(server, req));
}

async function leaderImpl(server: RecipeServer, req: LeaderRequest): Promise<LeaderResponse> {
  const r = await server.range(firstCreated(recipePrefix(req.name)));
  const kv = r.kvs[0];
  if (kv === undefined) throw ConcurrencyErrors.noLeader();
  return create(LeaderResponseSchema, { header: headerOf(r), kv });
}

/**
 * Observe: calls onLeader with the current leader's kv, then again each time the leader posts a
 * new value or a new leader takes over, until signal aborts (then resolves). With no leader it
 * waits for the first candidate. Like etcd's Election.observe, it follows the leader key until it
 * is deleted, then looks the leader up again. Unlike it, a watch that falls behind a compaction
 * re-reads the leader instead of ending the stream, and an unchanged kv is not sent twice.
 */
export async function observe(
  server: RecipeServer,
  name: Uint8Array,
  signal: AbortSignal,
  onLeader: (resp: LeaderResponse) => void,
): Promise<void> {
  const prefix = recipePrefix(name);
  let last: KeyValue | undefined;
  const emit = (kv: KeyValue, rev: bigint): void => {
    if (last !== undefined && last.modRevision === kv.modRevision && Buffer.from(last.key).equals(kv.key)) return;
    last = kv;
    // baseHeader() is shared (cached by the server): copy it, never mutate it.
    const { clusterId, memberId, raftTerm } = server.baseHeader();
    const header = create(ResponseHeaderSchema, { clusterId, memberId, raftTerm, revision: rev });
    onLeader(create(LeaderResponseSchema, { header, kv }));
  };
  try {
    for (;;) {
      throwIfAborted(signal);
      const r = await server.range(firstCreated(prefix));
      let kv: KeyValue | undefined = r.kvs[0];
      let rev = headerOf(r).revision;
      if (kv === undefined) {
        const first = await firstPut(server, prefix, rev, signal);
        if (first === undefined) continue; // history compacted under us: look again
        kv = first;
        rev = first.modRevision;
      }
      emit(kv, rev);
      await followUntilDeleted(server, kv.key, rev, signal, emit);
    }
  } catch (e) {
    if (signal.aborted) return; // the observer went away: a normal end of the stream
    throw toRecipeError(e);
  }
}

/** The first key put under prefix after rev; undefined if the history was compacted first. */
async function firstPut(server: RecipeServer, prefix: Uint8Array, rev: bigint, signal: AbortSignal): Promise<KeyValue | undefined> {
  const feed = new WatchFeed(server.watchHub, [prefixRange(prefix)], Number(rev) + 1, signal);
  try {
    for (;;) {
      const item = await feed.next();
      if (item.kind === 'compacted') return undefined;
      const put = item.events.find((e) => e.type === Event_EventType.PUT);
      if (put?.kv !== undefined) return put.kv;
    }
  } finally {
    feed.close();
  }
}

/** Reports each new value of the leader key after rev until it is deleted (or history is lost). */
async function followUntilDeleted(
  server: RecipeServer,
  key: Uint8Array,
  rev: bigint,
  signal: AbortSignal,
  emit: (kv: KeyValue, rev: bigint) => void,
): Promise<void> {
  const feed = new WatchFeed(server.watchHub, [singleKey(key)], Number(rev) + 1, signal);
  try {
    for (;;) {
      const item = await feed.next();
      if (item.kind === 'compacted') return;
      for (const ev of item.events) {
        if (ev.type === Event_EventType.DELETE || ev.kv === undefined) return;
        emit(ev.kv, BigInt(item.rev));
      }
    }
  } finally {
    feed.close();
  }
}

function requireLeader(l: LeaderKey | undefined): LeaderKey {
  if (l === undefined) throw ConcurrencyErrors.missingLeaderKey();
  return l;
}

/** Re-puts the leader key with value, only while it still has create revision rev. */
async function proclaimAt(server: RecipeServer, key: Uint8Array, rev: bigint, lease: bigint, value: Uint8Array): Promise<ResponseHeader> {
  const t = await server.txn(create(TxnRequestSchema, { compare: [createRevIs(key, rev)], success: [opPut(key, value, lease)] }));
  if (!t.succeeded) throw ConcurrencyErrors.notLeader();
  return headerOf(t);
}

/** Deletes the leader key, only while it still has create revision rev. */
async function resignAt(server: RecipeServer, key: Uint8Array, rev: bigint): Promise<ResponseHeader> {
  const t = await server.txn(create(TxnRequestSchema, { compare: [createRevIs(key, rev)], success: [opDelete(key)] }));
  return headerOf(t);
}
