// The watchable store (etcd's watchableStore): every watcher is in exactly one state —
//   synced    at the store's head: notify() pushes each applied txn's events to it at once;
//   unsynced  behind the head (it started in the past, or came back from being a victim): the
//             sync round reads its missed revisions back from the store's rows, in bounded
//             batches, and moves it to synced once it reaches the head;
//   victim    its sink was full when events were due: nothing is kept for it but the first
//             revision it has not received (minRev); once its sink has room again it becomes
//             unsynced and catches up from history. So a slow consumer costs O(1) memory here,
//             never blocks notify() (the writers) and never loses an event — unless compaction
//             removes its history first, in which case it is cancelled with compact_revision,
//             exactly like a watcher created at a compacted revision.
// Invariant: a watcher has received every matching event with revision < minRev and nothing at
// or above it; every delivery moves minRev forward, so there are no gaps and no duplicates.

import type { Event } from '../gen/mvccpb/kv_pb.js';
import { ErrClosed, type MvccStore } from '../mvcc/index.js';
import { EventShaper, type EventFilters } from './events.js';
import { keyString, type KeyRange } from './key_range.js';
import { WatcherIndex } from './watcher_index.js';

/** Where a watcher's responses go (a Watch stream's send queue). */
export interface WatchSink {
  /** Room for another response? Checked before history is read for a watcher of this sink. */
  ready(): boolean;
  /**
   * Events for w (already filtered and shaped; empty = a progress notification) with the header
   * revision rev. Returns false, taking nothing, when full: w becomes a victim.
   */
  deliver(w: Watcher, events: Event[], rev: number): boolean;
  /** w's next revision was compacted: w is cancelled. false = full, asked again later. */
  compacted(w: Watcher, compactRev: number): boolean;
  /** w has just caught up with the head (used for deferred progress requests). */
  caughtUp?(w: Watcher): void;
}

export type WatcherState = 'synced' | 'unsynced' | 'victim' | 'compacted' | 'canceled';

export interface WatchOptions extends Partial<EventFilters> {
  range: KeyRange;
  /** First revision wanted; 0 = from the next revision (etcd's startRev semantics). */
  startRev: number;
  sink: WatchSink;
  /** The caller's name for the watcher (the stream's watch_id); the hub does not use it. */
  id?: bigint;
}

export class Watcher {
  /** Every matching event with revision < minRev has been delivered, nothing beyond. */
  minRev: number;
  state: WatcherState;
  readonly filters: EventFilters;

  constructor(
    readonly range: KeyRange,
    startRev: number,
    readonly sink: WatchSink,
    readonly id: bigint,
    f: Partial<EventFilters>,
  ) {
    this.minRev = startRev;
    this.state = 'unsynced';
    this.filters = { noPut: f.noPut ?? false, noDelete: f.noDelete ?? false, prevKv: f.prevKv ?? false };
  }
}

export interface HubOptions {
  /** How often unsynced watchers and victims are caught up (etcd: 100 ms). */
  syncIntervalMs?: number;
  /** Watchers caught up per sync round (etcd: 512). */
  maxWatchersPerSync?: number;
  /** Revisions read from history per round (etcd's watchBatchMaxRevs: 1000). */
  maxRevsPerSync?: number;
  /** false: no timer; the owner calls syncNow() (deterministic tests). */
  autoSync?: boolean;
}

export interface HubStats {
  watchers: number;
  synced: number;
  unsynced: number;
  victims: number;
  /** Distinct key ranges among synced watchers (what notify() searches). */
  syncedRanges: number;
  /** Events handed to streams but not yet to their transport (etcd's pending_events_total). */
  pendingEvents: number;
}

export class WatchHub {
  private readonly synced = new WatcherIndex<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Set<Watcher>();
  private readonly shaper: EventShaper;
  private readonly syncIntervalMs: number;
  private readonly maxWatchersPerSync: number;
  private readonly maxRevsPerSync: number;
  private readonly autoSync: boolean;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private lastRoundMoved = false;
  /** The highest revision synced watchers are known to be up to date with. */
  private seenRev = 0;
  private pendingEvents = 0;

  constructor(
    private readonly store: MvccStore,
    opts: HubOptions = {},
  ) {
    this.shaper = new EventShaper(store);
    this.syncIntervalMs = opts.syncIntervalMs ?? 100;
    this.maxWatchersPerSync = opts.maxWatchersPerSync ?? 512;
    this.maxRevsPerSync = opts.maxRevsPerSync ?? 1000;
    this.autoSync = opts.autoSync ?? true;
  }

  /** The store's current revision (what progress notifications report). */
  get rev(): number {
    return this.store.rev;
  }

  /**
   * Registers a watcher. As in etcd: startRev 0 or beyond the head → synced, receiving events
   * from max(head + 1, startRev); otherwise unsynced, caught up from history by the sync rounds
   * (or cancelled with compact_revision if startRev is below the compact revision).
   */
  watch(o: WatchOptions): Watcher {
    if (this.closed) throw new Error('watch: hub is closed');
    const head = this.store.rev;
    if (head > this.seenRev) this.seenRev = head;
    const w = new Watcher(o.range, o.startRev, o.sink, o.id ?? 0n, o);
    if (o.startRev === 0 || o.startRev > head) {
      w.minRev = Math.max(head + 1, o.startRev);
      w.state = 'synced';
      this.synced.add(w);
    } else {
      this.unsynced.add(w);
      this.scheduleSoon();
    }
    return w;
  }

  /** Removes a watcher wherever it is; later deliveries for it cannot happen. */
  cancel(w: Watcher): void {
    if (w.state === 'synced') this.synced.delete(w);
    else if (w.state === 'unsynced') this.unsynced.delete(w);
    else if (w.state === 'victim') this.victims.delete(w);
    if (w.state !== 'compacted') w.state = 'canceled';
  }

  isSynced(w: Watcher): boolean {
    return w.state === 'synced';
  }

  /**
   * Called by the apply loop after each write txn: events all carry revision rev. Delivers to
   * synced watchers synchronously; a full sink turns its watcher into a victim. Never waits.
   */
  notify(events: readonly Event[], rev: number): void {
    if (rev > this.seenRev) this.seenRev = rev;
    if (events.length === 0 || this.synced.size === 0) return;
    let victims = false;
    if (events.length === 1) {
      // The common case (a put or a one-key delete): no per-watcher batching needed. Matches are
      // collected first because a delivery may move its watcher out of the index.
      const ev = events[0]!;
      if (ev.kv === undefined) return;
      const targets: Watcher[] = [];
      this.synced.forEachMatch(keyString(ev.kv.key), (w) => {
        if (rev >= w.minRev) targets.push(w); // else: created with a future start revision
      });
      const evs = [ev];
      for (const w of targets) if (!this.push(w, evs, rev)) victims = true;
    } else {
      const batches = new Map<Watcher, Event[]>();
      for (const ev of events) {
        if (ev.kv === undefined) continue;
        this.synced.forEachMatch(keyString(ev.kv.key), (w) => {
          if (rev < w.minRev) return;
          const b = batches.get(w);
          if (b === undefined) batches.set(w, [ev]);
          else b.push(ev);
        });
      }
      for (const [w, evs] of batches) if (!this.push(w, evs, rev)) victims = true;
    }
    if (victims) this.scheduleTick();
  }

  /** Hands a synced watcher its events of revision rev; false if it became a victim. */
  private push(w: Watcher, evs: Event[], rev: number): boolean {
    // A sink may react to a delivery by cancelling other watchers of this notification.
    if (w.state !== 'synced') return true;
    const out = this.shaper.shape(evs, w.filters);
    // etcd sends nothing when the filters removed every event.
    if (out.length === 0 || w.sink.deliver(w, out, rev)) {
      w.minRev = rev + 1;
      return true;
    }
    w.minRev = rev;
    this.synced.delete(w);
    w.state = 'victim';
    this.victims.add(w);
    return false;
  }

  /**
   * The store's contents were replaced (a snapshot was installed): every synced watcher goes
   * back to unsynced to be caught up from its minRev (etcd's watchableStore.Restore).
   */
  resync(): void {
    for (const w of [...this.synced]) {
      this.synced.delete(w);
      // A synced watcher has seen every revision up to the last notified one, even those that
      // had nothing for it; without this it would re-read (or be "compacted" on) old history.
      w.minRev = Math.max(w.minRev, this.seenRev + 1);
      w.state = 'unsynced';
      this.unsynced.add(w);
    }
    this.scheduleSoon();
  }

  /** A synced watcher gets an empty response at the head revision (etcd's progress()). */
  progress(w: Watcher): boolean {
    if (w.state !== 'synced') return false;
    w.sink.deliver(w, [], this.store.rev);
    return true;
  }

  /** A sink has room again: its victims should be retried soon rather than at the next tick. */
  wake(): void {
    if (this.victims.size > 0 || this.unsynced.size > 0) this.scheduleSoon();
  }

  /** Streams report events entering (+n) and leaving (-n) their send queues. */
  addPending(n: number): void {
    this.pendingEvents += n;
  }

  stats(): HubStats {
    const unsynced = this.unsynced.size;
    const victims = this.victims.size;
    return {
      watchers: this.synced.size + unsynced + victims,
      synced: this.synced.size,
      unsynced,
      victims,
      syncedRanges: this.synced.distinctRanges,
      pendingEvents: this.pendingEvents,
    };
  }

  /**
   * One sync round (etcd's syncWatchers + moveVictims): victims with room become unsynced; up
   * to maxWatchersPerSync unsynced watchers whose sinks have room are checked against the
   * compact revision and then fed one bounded window of history. Returns how many watchers are
   * still behind (unsynced or victims).
   */
  syncNow(): number {
    if (this.closed) return 0;
    for (const w of this.victims) {
      if (!w.sink.ready()) continue;
      this.victims.delete(w);
      w.state = 'unsynced';
      this.unsynced.add(w);
    }
    this.lastRoundMoved = this.unsynced.size > 0 && this.syncRound();
    return this.unsynced.size + this.victims.size;
  }

  /** Returns true if some watcher moved forward (delivered, synced or cancelled). */
  private syncRound(): boolean {
    const head = this.store.rev;
    const compactRev = this.store.compactRev;
    const chosen = new WatcherIndex<Watcher>();
    let lo = Infinity;
    let moved = false;
    for (const w of this.unsynced) {
      if (chosen.size >= this.maxWatchersPerSync) break;
      if (w.state !== 'unsynced' || !w.sink.ready()) continue;
      if (w.minRev < compactRev) {
        // etcd: history this watcher needs is gone; it is told the compact revision and removed.
        if (w.sink.compacted(w, compactRev)) {
          this.unsynced.delete(w);
          w.state = 'compacted';
          moved = true;
        }
        continue;
      }
      if (w.minRev > head) {
        this.toSynced(w);
        moved = true;
        continue;
      }
      chosen.add(w);
      if (w.minRev < lo) lo = w.minRev;
    }
    if (chosen.size === 0) return moved;
    // A bounded window of revisions, always whole revisions: a txn's events stay together.
    const hi = Math.min(head, lo + this.maxRevsPerSync - 1);
    const evs = this.store.events(lo, hi + 1, { filter: (k) => chosen.hasMatch(keyString(k)) });
    const batches = new Map<Watcher, Event[]>();
    for (const ev of evs) {
      const r = Number(ev.kv!.modRevision);
      chosen.forEachMatch(keyString(ev.kv!.key), (w) => {
        if (r < w.minRev) return;
        const b = batches.get(w);
        if (b === undefined) batches.set(w, [ev]);
        else b.push(ev);
      });
    }
    for (const w of chosen) {
      // A sink may react to a delivery by cancelling other watchers of this round.
      if (w.state !== 'unsynced') continue;
      if (w.minRev > hi) continue; // ahead of this window: a later round
      const out = this.shaper.shape(batches.get(w) ?? [], w.filters);
      // The header revision of a catch-up response is the head, as in etcd.
      if (out.length > 0 && !w.sink.deliver(w, out, head)) {
        this.unsynced.delete(w);
        w.state = 'victim';
        this.victims.add(w);
        continue;
      }
      w.minRev = hi + 1;
      moved = true;
      if (hi === head) {
        this.toSynced(w);
      } else {
        // Still behind: to the back of the line, so more than maxWatchersPerSync far-behind
        // watchers take turns instead of the first ones in the set going first every round.
        this.unsynced.delete(w);
        this.unsynced.add(w);
      }
    }
    return moved;
  }

  private toSynced(w: Watcher): void {
    this.unsynced.delete(w);
    w.state = 'synced';
    this.synced.add(w);
    w.sink.caughtUp?.(w);
  }

  /** Runs sync rounds until nothing is behind or a round moves no one (bounded). */
  syncAll(maxRounds = 10_000): number {
    let left = this.syncNow();
    for (let i = 0; i < maxRounds && left > 0 && this.lastRoundMoved; i++) left = this.syncNow();
    return left;
  }

  private scheduleSoon(): void {
    if (!this.autoSync || this.closed || this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.background();
    });
  }

  /**
   * A timer-driven round. While rounds make progress the next one runs on the next turn of the
   * event loop (writers and I/O still get their turns in between, like etcd yielding for as long
   * as the round took); when nothing could move, it waits for the interval.
   */
  private background(): void {
    let behind: number;
    try {
      behind = this.syncNow();
    } catch (e) {
      // The store was closed under us (shutdown order): stop instead of crashing in a timer.
      if (e instanceof ErrClosed) {
        this.close();
        return;
      }
      throw e;
    }
    if (behind > 0 && this.lastRoundMoved) this.scheduleSoon();
    else this.scheduleTick();
  }

  /** Keeps a periodic round going while anyone is behind; no timer when all are synced. */
  private scheduleTick(): void {
    if (!this.autoSync || this.closed || this.timer !== undefined) return;
    if (this.unsynced.size === 0 && this.victims.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.background();
    }, this.syncIntervalMs);
    this.timer.unref();
  }

  /** Stops the timers and forgets every watcher. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    for (const w of [...this.synced, ...this.unsynced, ...this.victims]) w.state = 'canceled';
    this.unsynced.clear();
    this.victims.clear();
    for (const w of [...this.synced]) this.synced.delete(w);
  }
}
