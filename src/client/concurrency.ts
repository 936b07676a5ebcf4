// Client side of etcd's concurrency recipes as clientv3/concurrency 3.4 uses them: a Session
// (a lease kept alive in the background) and an election Observer. Locking and campaigning go
// through the server's Lock and Election services (EtcdClient.lock/campaign), which run the
// same recipes as clientv3's Mutex and Election on the member.
import { create } from '@bufbuild/protobuf';
import { RangeRequest_SortOrder, RangeRequest_SortTarget, type RangeResponse, RangeResponseSchema } from '../gen/etcdserverpb/rpc_pb.js';
import { Event_EventType, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import type { EtcdClient } from './client.js';
import { EtcdError } from './errors.js';
import { FROM_KEY_END, prefixEnd } from './ops.js';
import { watchResultError, Watcher } from './watch.js';

/** clientv3/concurrency defaultSessionTTL. */
export const DEFAULT_SESSION_TTL = 60;
/** clientv3 calls with context.TODO(): no deadline. */
const NO_DEADLINE = 2 ** 31 - 1;

/**
 * A lease granted with `ttl` seconds and kept alive every ttl/3 until close(). `done` settles
 * when the lease could not be kept: the server says it is gone, or no keep-alive succeeded
 * before it would have expired.
 */
export class Session {
  readonly done: Promise<void>;
  private readonly ac = new AbortController();

  private constructor(private readonly client: EtcdClient, readonly lease: bigint, ttl: number) {
    this.done = this.keepAlive(ttl);
  }

  static async create(client: EtcdClient, ttl = DEFAULT_SESSION_TTL): Promise<Session> {
    const r = await client.leaseGrant(BigInt(ttl), 0n, { timeoutMs: NO_DEADLINE });
    return new Session(client, r.ID, Number(r.TTL));
  }

  /** Stops keeping the lease alive (the lease itself lives on until it expires, as etcdctl leaves it). */
  close(): void {
    this.ac.abort();
  }

  private async keepAlive(grantedTtl: number): Promise<void> {
    let ttl = grantedTtl;
    let expires = Date.now() + ttl * 1000;
    const signal = this.ac.signal;
    while (!signal.aborted) {
      let next = 500;
      try {
        const r = await this.client.leaseKeepAliveOnce(this.lease, { signal, timeoutMs: Math.max(1, expires - Date.now()) });
        ttl = Number(r.TTL);
        expires = Date.now() + ttl * 1000;
        next = Math.max(500, (ttl * 1000) / 3);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof EtcdError && e.description === 'etcdserver: requested lease not found') return;
        if (Date.now() >= expires) return;
      }
      await sleep(next, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/**
 * clientv3 Election.Observe on `<name>/`: calls `onLeader` with the current leader, again for
 * each new value it proclaims, and for each next leader. The responses have clientv3's shapes:
 * a new leader comes as a RangeResponse with only header and kvs; a proclaimed value reuses the
 * response of the leader lookup (its count and more kept) with the new header and kv.
 * Resolves when `signal` aborts; rejects when observing failed (clientv3 closes the channel).
 */
export async function observeElection(client: EtcdClient, name: Uint8Array, signal: AbortSignal, onLeader: (r: RangeResponse) => void): Promise<void> {
  const prefix = Buffer.concat([name, Buffer.from('/')]);
  const end = prefix.length === 0 ? FROM_KEY_END : prefixEnd(prefix);
  const lost = (): Error => new Error('observer lost');
  for (;;) {
    if (signal.aborted) return;
    let resp: RangeResponse;
    try {
      resp = await client.range({
        key: prefix, rangeEnd: end, limit: 1n,
        sortOrder: RangeRequest_SortOrder.ASCEND, sortTarget: RangeRequest_SortTarget.CREATE,
      }, { signal, timeoutMs: NO_DEADLINE });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    let kv: KeyValue | undefined;
    let header = resp.header;
    if (resp.kvs.length === 0) {
      // Wait for the first put under the prefix.
      const w = new Watcher(client);
      const stop = (): void => w.close();
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const wr of w.watch({ key: prefix, rangeEnd: end, startRevision: resp.header?.revision ?? 0n })) {
          if (watchResultError(wr) !== undefined) break;
          const put = wr.events.find((ev) => ev.type === Event_EventType.PUT);
          if (put?.kv !== undefined) {
            kv = put.kv;
            header = { ...wr.header, revision: put.kv.modRevision };
            break;
          }
        }
      } finally {
        signal.removeEventListener('abort', stop);
        w.close();
      }
      if (signal.aborted) return;
      if (kv === undefined) throw lost();
    } else {
      kv = resp.kvs[0] as KeyValue;
    }
    onLeader(create(RangeResponseSchema, { header, kvs: [kv] }));

    // Follow this leader's key until it is deleted.
    const w = new Watcher(client);
    const stop = (): void => w.close();
    signal.addEventListener('abort', stop, { once: true });
    let deleted = false;
    try {
      outer: for await (const wr of w.watch({ key: kv.key, startRevision: (header?.revision ?? 0n) + 1n })) {
        for (const ev of wr.events) {
          if (ev.type === Event_EventType.DELETE) {
            deleted = true;
            break outer;
          }
          resp.header = wr.header;
          resp.kvs = ev.kv !== undefined ? [ev.kv] : [];
          onLeader(create(RangeResponseSchema, { header: resp.header, kvs: resp.kvs, more: resp.more, count: resp.count }));
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      w.close();
    }
    if (signal.aborted) return;
    if (!deleted) throw lost();
  }
}
