// Waiting for the contenders ahead of us to go away (clientv3/concurrency's waitDeletes): find the
// newest key under the prefix created before ours, wait for its deletion, repeat until none is
// left. Waiting on the one directly ahead, rather than on the holder, avoids a herd: a release
// wakes only the next contender. Waits are watchers on the member's watch hub, so nothing polls.
import { create } from '@bufbuild/protobuf';
import { TxnRequestSchema, type ResponseHeader, type TxnResponse } from '../gen/etcdserverpb/rpc_pb.js';
import { Event_EventType, type Event, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import { keyString, toKeyRange, type EventFilters, type KeyRange, type Watcher, type WatchHub, type WatchSink } from '../watch/index.js';
import { throwIfAborted } from './errors.js';
import { lastCreatedBefore, opGet, opRange, prefixEnd } from './keys.js';
import { headerOf, type RecipeServer } from './server.js';

/** One delivery of a watcher: events at header revision rev, or "history was compacted". */
export type FeedItem = { kind: 'events'; events: Event[]; rev: number } | { kind: 'compacted'; compactRev: number };

/**
 * Watchers on the hub (one per range, all from startRev) as one pull queue. It always accepts
 * deliveries: the recipes' watchers follow single keys (or wait for one put), so their backlog
 * stays tiny and the hub never needs to make them victims. An abort wakes the reader, which then
 * throws etcd's "context canceled".
 */
export class WatchFeed implements WatchSink {
  private readonly queue: FeedItem[] = [];
  private wake: (() => void) | undefined;
  private readonly watchers: Watcher[];
  private readonly onAbort = (): void => this.wake?.();

  constructor(
    private readonly hub: WatchHub,
    ranges: KeyRange[],
    startRev: number,
    private readonly signal?: AbortSignal,
    filters: Partial<EventFilters> = {},
  ) {
    this.watchers = ranges.map((range) => hub.watch({ range, startRev, sink: this, ...filters }));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  ready(): boolean {
    return true;
  }

  deliver(_w: Watcher, events: Event[], rev: number): boolean {
    this.queue.push({ kind: 'events', events, rev });
    this.wake?.();
    return true;
  }

  compacted(_w: Watcher, compactRev: number): boolean {
    this.queue.push({ kind: 'compacted', compactRev });
    this.wake?.();
    return true;
  }

  async next(): Promise<FeedItem> {
    for (;;) {
      throwIfAborted(this.signal);
      const item = this.queue.shift();
      if (item !== undefined) return item;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  close(): void {
    for (const w of this.watchers) this.hub.cancel(w);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

export function singleKey(key: Uint8Array): KeyRange {
  return { start: keyString(key), end: undefined };
}

export function prefixRange(prefix: Uint8Array): KeyRange {
  const r = toKeyRange(prefix, prefixEnd(prefix));
  if (r === undefined) throw new Error('concurrency: empty prefix range'); // unreachable: prefix < prefixEnd(prefix)
  return r;
}

/** The waiter's own place in line: its key and the create revision it got it with. */
export interface OwnKey {
  key: Uint8Array;
  rev: bigint;
  /** The error to fail with if the key is lost while waiting (lease expired or revoked). */
  lost: () => Error;
}

/**
 * Waits until no key under prefix was created before ours; returns the header of the read that
 * found none (etcd's waitDeletes). Each round reads, in one snapshot, the newest key ahead of us
 * and our own key, then waits for either to be deleted. Unlike etcd, losing our own key (its lease
 * died) ends the wait at once with own.lost(): the caller can no longer win, and should not be
 * told it did when the keys ahead go. Throws "context canceled" on abort.
 */
export async function waitDeletes(server: RecipeServer, prefix: Uint8Array, own: OwnKey, signal?: AbortSignal): Promise<ResponseHeader> {
  for (;;) {
    throwIfAborted(signal);
    const t = await server.txn(
      create(TxnRequestSchema, { success: [opRange(lastCreatedBefore(prefix, own.rev - 1n)), opGet(own.key)] }),
    );
    if (rangeKvs(t, 1)[0]?.createRevision !== own.rev) throw own.lost();
    const ahead = rangeKvs(t, 0)[0];
    if (ahead === undefined) return headerOf(t);
    await waitDelete(server, [ahead.key, own.key], headerOf(t).revision, signal);
  }
}

/**
 * Resolves once one of keys is deleted after revision rev (when they were seen alive), or once
 * the history needed to know was compacted away — the caller re-reads either way.
 */
async function waitDelete(server: RecipeServer, keys: Uint8Array[], rev: bigint, signal?: AbortSignal): Promise<void> {
  const feed = new WatchFeed(server.watchHub, keys.map(singleKey), Number(rev) + 1, signal, { noPut: true });
  try {
    for (;;) {
      const item = await feed.next();
      if (item.kind === 'compacted') return;
      if (item.events.some((e) => e.type === Event_EventType.DELETE)) return;
    }
  } finally {
    feed.close();
  }
}

/** The kvs of the i-th response of a txn, which must be a range. */
export function rangeKvs(t: TxnResponse, i: number): KeyValue[] {
  const r = t.responses[i]?.response;
  if (r?.case !== 'responseRange') throw new EtcdError(GrpcCode.Internal, `tsetcd: txn response ${i} is not a range`);
  return r.value.kvs;
}
