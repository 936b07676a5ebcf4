// The lessor (etcd's lease.lessor, 3.4 semantics with checkpoint persistence): which leases
// exist, which keys hang on each, and — on the leader only — when each lease expires.
//
// Two kinds of callers, two kinds of state:
//  * APPLY PATH (grant, revoke, attach, detach, checkpoint): called by the apply loop inside
//    backend.batch(), in log order, on every member. They change the replicated state — the
//    lease rows of the "lease" bucket and the key attachments — and nothing they do depends on
//    the clock or on leadership, except that a primary also starts timing what it grants.
//  * LEADER SIDE (promote, demote, renew, expired, checkpointsDue, timeToLive, leases): local,
//    unreplicated timing. Only the primary (the raft leader) tracks expiries; followers hold
//    every lease "forever" and learn of expiry through revoke entries the leader proposes.
//    A keepalive is not a log entry, so a new leader cannot know when the last renew happened:
//    promote() gives every lease its full (or last checkpointed) TTL plus an election timeout.
//
// Checkpointing: so that repeated leader changes or restarts cannot keep a long lease alive
// forever, the leader periodically proposes each lease's remaining TTL (checkpointsDue()); the
// apply path records it in the lease row (etcd 3.4 with --experimental-enable-lease-checkpoint
// and checkpoint persistence, the default from 3.6) and promote() starts from it.
//
// No timers live here: the server calls expired() and checkpointsDue() from its own tick.
// Time comes from an injected Clock, so expiry is tested by moving a clock, not by sleeping.

import type { Backend } from '../backend/backend.js';
import type { Clock } from './clock.js';
import { decodeLeaseRow, encodeLeaseRow, leaseKey } from './codec.js';
import { DeadlineQueue } from './deadline_queue.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, NotPrimaryError } from './errors.js';
import { generateLeaseId, type RandomSource } from './ids.js';
import { TokenBucket } from './rate_limit.js';

/** etcd's MaxLeaseTTL (seconds): larger grants fail with "too large lease TTL". */
export const MAX_LEASE_TTL = 9_000_000_000;

/** etcd's default checkpoint interval (--experimental-lease-checkpoint-interval): 5 minutes. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;

/** etcd's leaseRevokeRate: expired leases revoked per second at most. */
export const DEFAULT_REVOKE_RATE = 1000;

/** etcd's maxLeaseCheckpointBatchSize: checkpoints per LeaseCheckpointRequest. */
export const MAX_CHECKPOINT_BATCH = 1000;

/**
 * etcd's expiredLeaseRetryInterval, which etcdserver sets to its request timeout: 5 s plus two
 * election timeouts (2 × 1 s by default). An expired lease handed out by expired() is handed out
 * again after this long if its revoke has not been applied by then (a lost proposal).
 */
export const DEFAULT_EXPIRED_RETRY_MS = 7000;

/**
 * etcd's minimum lease TTL (etcdserver/server.go): 1.5 election timeouts, in whole ticks, rounded
 * up to seconds — so that a lease cannot expire during a leader election. With etcd's defaults
 * (10 election ticks of 100 ms) that is ceil(1.5 s) = 2 s.
 */
export function minLeaseTtl(electionTicks: number, heartbeatMs: number): number {
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000);
}

export interface LessorOptions {
  /** Minimum TTL in seconds; shorter grants get this. Default: minLeaseTtl(10, 100) = 2. */
  minTtl?: number;
  /** Propose remaining TTLs (checkpointsDue) at all. Default true. */
  checkpointing?: boolean;
  checkpointIntervalMs?: number;
  revokeRatePerSec?: number;
  expiredRetryMs?: number;
  /** Receives what etcd counts in its etcd_debugging_lease_* metrics; the server exports it. */
  metrics?: LeaseMetrics;
}

/**
 * etcd's lease metrics as events: granted → etcd_debugging_lease_granted_total and the
 * etcd_debugging_lease_ttl_total histogram (buckets 1 s × 2^0..23), revoked →
 * etcd_debugging_lease_revoked_total (every member), renewed → etcd_debugging_lease_renewed_total
 * (the leader). The lessor stays free of any metrics library.
 */
export interface LeaseMetrics {
  granted(ttl: number): void;
  revoked(): void;
  renewed(): void;
}

const NO_METRICS: LeaseMetrics = { granted: () => undefined, revoked: () => undefined, renewed: () => undefined };

/** What the store provides after opening: the live keys that carry a lease. */
export interface KeyLeaseSource {
  restoredKeyLeases(): Array<{ key: Uint8Array; lease: bigint }>;
}

export interface LeaseInfo {
  id: bigint;
  /** Granted TTL in seconds. */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds (0 = none). */
  remainingTtl: number;
  /** Expiry on the clock's scale; Infinity on a follower (etcd's "forever"). */
  expiry: number;
  keyCount: number;
}

export interface TimeToLive {
  id: bigint;
  /** Seconds left (truncated, as etcd's int64(Remaining().Seconds())); -1 if gone or expired. */
  ttl: number;
  /** Granted TTL in seconds; 0 if gone or expired. */
  grantedTtl: number;
  /** Attached keys in byte order (empty unless asked for, or if gone). */
  keys: Uint8Array[];
}

export interface Checkpoint {
  id: bigint;
  remainingTtl: number;
}

interface Lease {
  readonly id: bigint;
  readonly ttl: number;
  remainingTtl: number;
  expiry: number;
  /** Attached keys as latin1 strings (one char per byte: exact, and usable as Map keys). */
  readonly keys: Set<string>;
}

const latin1 = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
const bytes = (key: string): Uint8Array => Buffer.from(key, 'latin1');
const byByteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The TTL a (re)start of timing counts from: the checkpointed remainder if any, else the full TTL. */
const startTtl = (l: Lease): number => (l.remainingTtl > 0 ? l.remainingTtl : l.ttl);

export class Lessor {
  private leaseMap = new Map<bigint, Lease>();
  /** key (latin1) -> lease id, for every attached key. */
  private itemMap = new Map<string, bigint>();
  private primary = false;
  /**
   * Leader side: for each lease, a time at or before its expiry (renew does not always move it
   * later; see renew), or, once expired() handed the lease out, when to hand it out again.
   */
  private readonly expiryQueue = new DeadlineQueue();
  /** Leader side: when to next look at each lease's remaining TTL for a checkpoint. */
  private readonly checkpointQueue = new DeadlineQueue();
  /** Leader side: leases whose persisted remaining TTL is stale and must be reset to 0. */
  private readonly pendingResets = new Set<bigint>();
  /**
   * Leader side: expiries of leases revoked since the last tick outside a batch, so that a
   * revoke undone by a rolled-back batch gives the lease back its timing. An entry can only be
   * used by a lease that reappears from the backend, which only a rollback of the revoking batch
   * can cause, so stale entries are harmless; they are dropped at each tick to bound memory.
   */
  private readonly revokedExpiry = new Map<bigint, number>();
  private readonly revokeBudget: TokenBucket;
  private readonly minTtl: number;
  private readonly checkpointing: boolean;
  private readonly checkpointIntervalMs: number;
  private readonly revokeRate: number;
  private readonly expiredRetryMs: number;
  private readonly unhookRollback: () => void;
  private readonly metrics: LeaseMetrics;

  private constructor(
    private readonly backend: Backend,
    private readonly store: KeyLeaseSource,
    private readonly clock: Clock,
    opts: LessorOptions,
  ) {
    this.minTtl = opts.minTtl ?? minLeaseTtl(10, 100);
    this.checkpointing = opts.checkpointing ?? true;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.revokeRate = opts.revokeRatePerSec ?? DEFAULT_REVOKE_RATE;
    this.expiredRetryMs = opts.expiredRetryMs ?? DEFAULT_EXPIRED_RETRY_MS;
    this.metrics = opts.metrics ?? NO_METRICS;
    this.revokeBudget = new TokenBucket(clock, this.revokeRate, Math.max(1, Math.floor(this.revokeRate / 2)));
    // A failed batch leaves the lease bucket as it was; memory must follow. The store, opened
    // (and hooked) before us, has rebuilt its key->lease map by the time this hook runs.
    this.unhookRollback = backend.onRollback(() => this.load());
  }

  /**
   * Rebuilds the lessor from the lease bucket and reattaches the store's live leased keys.
   * Every lease starts non-primary ("forever"); the server calls promote() once it leads.
   * Open the store first: its restoredKeyLeases() must describe the same backend.
   */
  static restore(backend: Backend, store: KeyLeaseSource, clock: Clock, opts: LessorOptions = {}): Lessor {
    const l = new Lessor(backend, store, clock, opts);
    l.load();
    return l;
  }

  /** Stops following backend rollbacks. */
  close(): void {
    this.unhookRollback();
  }

  // ---------------------------------------------------------------- apply path

  /**
   * Applies a LeaseGrant. A TTL below the minimum becomes the minimum (etcd: 0, 1 and -5 all
   * become 2 s by default); one above MAX_LEASE_TTL fails. Returns the granted TTL.
   */
  grant(id: bigint, ttl: number): { id: bigint; ttl: number } {
    // etcd refuses id 0 (NoLease) this way; the server replaces a client's 0 before proposing.
    if (id === 0n) throw new LeaseNotFoundError();
    if (!Number.isInteger(ttl)) throw new RangeError(`lease TTL must be an integer, got ${ttl}`);
    if (ttl > MAX_LEASE_TTL) throw new LeaseTtlTooLargeError();
    if (this.leaseMap.has(id)) throw new LeaseExistsError();
    const granted = Math.max(ttl, this.minTtl);
    this.persist({ id, ttl: granted, remainingTtl: 0 });
    const lease: Lease = { id, ttl: granted, remainingTtl: 0, expiry: Infinity, keys: new Set() };
    this.leaseMap.set(id, lease);
    if (this.primary) {
      this.refresh(lease, 0);
      this.scheduleCheckpoint(lease);
    }
    this.metrics.granted(granted);
    return { id, ttl: granted };
  }

  /**
   * Applies a LeaseRevoke: removes the lease and returns its keys in byte order (etcd sorts them
   * so that every member deletes in the same order). The caller deletes them in the same mvcc
   * write txn — one revision — and the same backend batch as the row removal.
   */
  revoke(id: bigint): Uint8Array[] {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    this.backend.delete('lease', leaseKey(id));
    this.forget(lease);
    this.metrics.revoked();
    return [...lease.keys].sort(byByteOrder).map(bytes);
  }

  /** Attaches key to lease id (a put with that lease). A key on another lease moves. */
  attach(id: bigint, key: Uint8Array): void {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const k = latin1(key);
    const prev = this.itemMap.get(k);
    if (prev !== undefined && prev !== id) this.leaseMap.get(prev)?.keys.delete(k);
    lease.keys.add(k);
    this.itemMap.set(k, id);
  }

  /**
   * Detaches key from lease id (a put that drops or changes the lease, or a delete). Returns
   * false if there was nothing to detach; etcd only logs that case, so it is not an error here.
   */
  detach(id: bigint, key: Uint8Array): boolean {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return false;
    const k = latin1(key);
    if (!lease.keys.delete(k)) return false;
    this.itemMap.delete(k);
    return true;
  }

  /**
   * Applies one LeaseCheckpoint: records (and persists) the remaining TTL that a later promote or
   * restart starts from; 0 clears it. An unknown lease is ignored, as in etcd: it was revoked
   * after the leader proposed the checkpoint.
   */
  checkpoint(id: bigint, remainingTtl: number): void {
    const lease = this.leaseMap.get(id);
    if (lease === undefined) return;
    const remaining = Math.max(0, Math.trunc(remainingTtl));
    this.persist({ id, ttl: lease.ttl, remainingTtl: remaining });
    lease.remainingTtl = remaining;
    if (!this.primary) return;
    this.scheduleCheckpoint(lease);
    // A keepalive that reached us after this checkpoint was proposed made it stale: the lease
    // now has more time left than recorded, and a restart would cut it short. Reset it.
    if (remaining > 0 && this.remainingSeconds(lease) > remaining + 1) this.pendingResets.add(id);
  }

  /**
   * The apply loop's hook for a put of `key` carrying `lease` (0n = none; for ignore_lease pass
   * leaseOf(key)): moves the key's attachment, as etcd's mvcc put detaches the old lease and
   * attaches the new. Returns the previous lease (0n if none). An unknown lease throws
   * LeaseNotFoundError before anything changes; etcd's applier checks this before writing, so
   * call it (or lookup) before the mvcc put.
   */
  keyPut(key: Uint8Array, lease: bigint): bigint {
    const k = latin1(key);
    const prev = this.itemMap.get(k) ?? 0n;
    if (lease !== 0n) {
      const next = this.leaseMap.get(lease);
      if (next === undefined) throw new LeaseNotFoundError();
      if (prev !== lease) this.leaseMap.get(prev)?.keys.delete(k);
      next.keys.add(k);
      this.itemMap.set(k, lease);
    } else if (prev !== 0n) {
      this.leaseMap.get(prev)?.keys.delete(k);
      this.itemMap.delete(k);
    }
    return prev;
  }

  /**
   * The apply loop's hook for a DeleteRange with etcd's key/range_end rules (empty range_end:
   * the one key; "\0": every key >= key): detaches every leased key in it and returns how many.
   * Every attached key is live, so the leased keys in the span are exactly the deleted leased
   * keys. One key costs a lookup; a range costs a pass over the attached keys.
   */
  keysDeleted(key: Uint8Array, rangeEnd?: Uint8Array): number {
    if (this.itemMap.size === 0) return 0;
    const from = latin1(key);
    if (rangeEnd === undefined || rangeEnd.length === 0) return this.detachKey(from) ? 1 : 0;
    const to = rangeEnd.length === 1 && rangeEnd[0] === 0 ? undefined : latin1(rangeEnd);
    const doomed: string[] = [];
    for (const k of this.itemMap.keys()) if (k >= from && (to === undefined || k < to)) doomed.push(k);
    for (const k of doomed) this.detachKey(k);
    return doomed.length;
  }

  // ---------------------------------------------------------------- leader side

  get isPrimary(): boolean {
    return this.primary;
  }

  /**
   * Becomes the primary (on winning an election, after applying the previous term's entries):
   * every lease expires `extendMs` (etcd passes the election timeout) after its start TTL from
   * now. As etcd does, when there are enough leases to pile up, expiries that would exceed 3/4
   * of the revoke rate in any one-second window are spread out.
   */
  promote(extendMs: number): void {
    this.primary = true;
    this.revokedExpiry.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    this.pendingResets.clear();
    for (const lease of this.leaseMap.values()) {
      this.refresh(lease, extendMs);
      this.scheduleCheckpoint(lease);
    }
    if (this.leaseMap.size >= this.revokeRate) this.spreadExpiries(extendMs);
  }

  /** Stops being primary: expiries become "forever" and leader-side schedules are dropped. */
  demote(): void {
    this.primary = false;
    this.revokedExpiry.clear();
    for (const lease of this.leaseMap.values()) lease.expiry = Infinity;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    this.pendingResets.clear();
  }

  /**
   * A keepalive: the lease now expires a full TTL from now; returns that TTL. An expired lease
   * is reported as not found, which is what etcd answers once the pending revoke applies.
   */
  renew(id: bigint): number {
    if (!this.primary) throw new NotPrimaryError();
    const lease = this.leaseMap.get(id);
    if (lease === undefined || lease.expiry <= this.clock.now()) throw new LeaseNotFoundError();
    // A renew counts from the full TTL, so a checkpointed remainder is now stale (too short).
    // etcd proposes its reset and blocks the keepalive until it applies; we answer at once and
    // let the next checkpointsDue() propose the reset. Until it applies (one tick), a restart or
    // leader change would start this lease from the old remainder: earlier than the client
    // expects by at most the time since that checkpoint.
    if (this.checkpointing && lease.remainingTtl > 0) this.pendingResets.add(id);
    lease.expiry = this.clock.now() + lease.ttl * 1000;
    // The expiry queue may lag behind a later expiry (expired() re-queues such an entry when it
    // surfaces), never run ahead of an earlier one: renews, the hot path, skip the heap update
    // unless this renew moved the expiry earlier (possible right after promote's extension).
    const queued = this.expiryQueue.get(id);
    if (queued === undefined || lease.expiry < queued) this.expiryQueue.set(id, lease.expiry);
    this.metrics.renewed();
    return lease.ttl;
  }

  /**
   * Ids of expired leases for the server to propose revokes for, earliest first, at most
   * `limit` and at most what the revoke rate allows now. A lease handed out here is handed out
   * again after the retry interval if its revoke has not been applied by then.
   */
  expired(limit = Number.POSITIVE_INFINITY): bigint[] {
    if (!this.primary) return [];
    if (!this.backend.inBatch) this.revokedExpiry.clear();
    const now = this.clock.now();
    const max = Math.min(limit, this.revokeBudget.available());
    const out: bigint[] = [];
    while (out.length < max) {
      const next = this.expiryQueue.peek();
      if (next === undefined || next.time > now) break;
      const lease = this.leaseMap.get(next.id);
      if (lease === undefined) {
        this.expiryQueue.delete(next.id);
      } else if (next.time < lease.expiry) {
        // renew() moves deadlines later lazily: put a stale entry at its real place first, so
        // leases come out in (expiry, id) order even when a renewed one sat ahead in the heap.
        this.expiryQueue.set(next.id, lease.expiry);
      } else if (lease.expiry <= now) {
        out.push(next.id);
        this.expiryQueue.set(next.id, now + this.expiredRetryMs);
      } else {
        this.expiryQueue.set(next.id, lease.expiry);
      }
    }
    this.revokeBudget.take(out.length);
    return out;
  }

  /**
   * Remaining TTLs the server should propose as LeaseCheckpoint entries now (at most `limit`,
   * etcd's batch size): resets of stale checkpoints first, then leases whose checkpoint time
   * came. A lease whose remaining TTL rounds up to its full TTL (just renewed) needs no
   * checkpoint and is looked at again an interval later.
   */
  checkpointsDue(limit = MAX_CHECKPOINT_BATCH): Checkpoint[] {
    if (!this.backend.inBatch) this.revokedExpiry.clear();
    if (!this.primary || !this.checkpointing) return [];
    const now = this.clock.now();
    const out: Checkpoint[] = [];
    for (const id of this.pendingResets) {
      if (out.length >= limit) return out;
      this.pendingResets.delete(id);
      // Already reset (e.g. by a reset proposed earlier): nothing to propose.
      if ((this.leaseMap.get(id)?.remainingTtl ?? 0) > 0) out.push({ id, remainingTtl: 0 });
    }
    while (out.length < limit) {
      const next = this.checkpointQueue.peek();
      if (next === undefined || next.time > now) break;
      const lease = this.leaseMap.get(next.id);
      if (lease === undefined || lease.expiry <= now) {
        this.checkpointQueue.delete(next.id);
        continue;
      }
      // Re-arm now rather than only when the checkpoint applies: a proposal lost to a dropped
      // entry must not end checkpointing of this lease.
      this.checkpointQueue.set(next.id, now + this.checkpointIntervalMs);
      const remaining = this.remainingSeconds(lease);
      if (remaining < lease.ttl) out.push({ id: lease.id, remainingTtl: remaining });
    }
    return out;
  }

  /**
   * etcd's LeaseTimeToLive as the leader answers it. A lease that is gone — or expired and about
   * to be revoked — reports ttl -1 with no keys, as etcd reports a lease it cannot find.
   */
  timeToLive(id: bigint, withKeys: boolean): TimeToLive {
    if (!this.primary) throw new NotPrimaryError();
    const lease = this.leaseMap.get(id);
    const now = this.clock.now();
    if (lease === undefined || lease.expiry <= now) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return {
      id,
      ttl: Math.trunc((lease.expiry - now) / 1000),
      grantedTtl: lease.ttl,
      keys: withKeys ? [...lease.keys].sort(byByteOrder).map(bytes) : [],
    };
  }

  /** All lease ids, soonest expiry first (etcd's Leases(); ties, e.g. on a follower, by id). */
  leases(): bigint[] {
    return [...this.leaseMap.values()]
      .sort((a, b) => (a.expiry !== b.expiry ? (a.expiry < b.expiry ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((l) => l.id);
  }

  lookup(id: bigint): LeaseInfo | undefined {
    const l = this.leaseMap.get(id);
    if (l === undefined) return undefined;
    return { id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl, expiry: l.expiry, keyCount: l.keys.size };
  }

  /** The lease a key is attached to, 0n if none (etcd's GetLease). */
  leaseOf(key: Uint8Array): bigint {
    return this.itemMap.get(latin1(key)) ?? 0n;
  }

  get size(): number {
    return this.leaseMap.size;
  }

  /** A fresh positive lease id not in use, for a grant that asked for id 0. */
  freshId(random?: RandomSource): bigint {
    return generateLeaseId((id) => this.leaseMap.has(id), random);
  }

  // ---------------------------------------------------------------- internals

  private persist(row: { id: bigint; ttl: number; remainingTtl: number }): void {
    this.backend.put('lease', leaseKey(row.id), encodeLeaseRow(row));
  }

  /** Seconds left, rounded up as etcd's checkpoint computes it (math.Ceil). */
  private remainingSeconds(lease: Lease): number {
    return Math.ceil((lease.expiry - this.clock.now()) / 1000);
  }

  private refresh(lease: Lease, extendMs: number): void {
    lease.expiry = this.clock.now() + extendMs + startTtl(lease) * 1000;
    this.expiryQueue.set(lease.id, lease.expiry);
  }

  private scheduleCheckpoint(lease: Lease): void {
    if (!this.checkpointing || !this.primary) return;
    // A lease no longer than one interval gains little from checkpoints (etcd's rule).
    if (startTtl(lease) * 1000 > this.checkpointIntervalMs) {
      this.checkpointQueue.set(lease.id, this.clock.now() + this.checkpointIntervalMs);
    }
  }

  private detachKey(k: string): boolean {
    const id = this.itemMap.get(k);
    if (id === undefined) return false;
    this.itemMap.delete(k);
    this.leaseMap.get(id)?.keys.delete(k);
    return true;
  }

  private forget(lease: Lease): void {
    if (this.primary) this.revokedExpiry.set(lease.id, lease.expiry);
    this.leaseMap.delete(lease.id);
    for (const k of lease.keys) this.itemMap.delete(k);
    this.expiryQueue.delete(lease.id);
    this.checkpointQueue.delete(lease.id);
    this.pendingResets.delete(lease.id);
  }

  /** etcd's Promote pile-up avoidance, on milliseconds. Leases are already refreshed. */
  private spreadExpiries(extendMs: number): void {
    const now = this.clock.now();
    const sorted = [...this.leaseMap.values()].sort((a, b) => a.expiry - b.expiry || (a.id < b.id ? -1 : 1));
    const target = Math.floor((3 * this.revokeRate) / 4);
    let base = sorted[0]!.expiry - now;
    let nextWindow = base + 1000;
    let expires = 0;
    for (const lease of sorted) {
      const remaining = lease.expiry - now;
      if (remaining > nextWindow) {
        base = remaining;
        nextWindow = base + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      // Leases already `remaining - base` past the window's start need that much less delay.
      const delay = (1000 * expires) / target - (remaining - base);
      nextWindow = base + delay;
      this.refresh(lease, delay + extendMs);
    }
  }

  /**
   * (Re)builds memory from the lease bucket and the store's leased keys: at restore, and after
   * a rolled-back batch. Leases that stay keep their timing, and so does a lease whose revoke
   * was rolled back; any other lease a primary finds (none, unless the revoke happened before a
   * tick cleared revokedExpiry) starts timing afresh, as promote would start it.
   */
  private load(): void {
    const old = this.leaseMap;
    this.leaseMap = new Map();
    this.itemMap = new Map();
    for (const { value } of this.backend.range('lease')) {
      const row = decodeLeaseRow(value);
      const ttl = Math.max(row.ttl, this.minTtl);
      this.leaseMap.set(row.id, { id: row.id, ttl, remainingTtl: row.remainingTtl, expiry: Infinity, keys: new Set() });
    }
    // A key whose lease row is missing cannot occur through the apply path (revoke deletes the
    // keys with the row); etcd logs such a key and leaves it unattached, and so do we.
    for (const { key, lease } of this.store.restoredKeyLeases()) {
      const l = this.leaseMap.get(lease);
      if (l === undefined) continue;
      const k = latin1(key);
      l.keys.add(k);
      this.itemMap.set(k, lease);
    }
    if (!this.primary) return;
    for (const [id] of old) {
      if (!this.leaseMap.has(id)) {
        this.expiryQueue.delete(id);
        this.checkpointQueue.delete(id);
        this.pendingResets.delete(id);
      }
    }
    for (const lease of this.leaseMap.values()) {
      const before = old.get(lease.id);
      if (before !== undefined) {
        lease.expiry = before.expiry;
        if (this.expiryQueue.get(lease.id) === undefined) this.expiryQueue.set(lease.id, lease.expiry);
      } else {
        const expiry = this.revokedExpiry.get(lease.id);
        if (expiry !== undefined) {
          lease.expiry = expiry;
          this.expiryQueue.set(lease.id, expiry);
        } else {
          this.refresh(lease, 0);
        }
        this.scheduleCheckpoint(lease);
      }
    }
    this.revokedExpiry.clear();
  }
}
