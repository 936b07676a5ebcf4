// Shaping the events a watcher receives: etcd's NOPUT/NODELETE filters, and prev_kv. Event
// objects are shared by every watcher of a notification, so they are never mutated: a watcher
// that wants prev_kv gets a copy carrying it, one that does not gets a copy without the prev_kv
// a deleter may have asked for. Both copies are cached per source event, so 10,000 watchers of
// one key cost one range read and one copy, not 10,000.

import { Event_EventType, type Event, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import { ErrCompacted, ErrFutureRev, type MvccStore } from '../mvcc/index.js';

export interface EventFilters {
  /** etcd's NOPUT filter: drop PUT events. */
  readonly noPut: boolean;
  /** etcd's NODELETE filter: drop DELETE events. */
  readonly noDelete: boolean;
  /** Attach the key's previous state (etcd's prev_kv). */
  readonly prevKv: boolean;
}

/** etcd's isCreateEvent: a PUT that created the key has no previous version to look up. */
function isCreate(ev: Event): boolean {
  return ev.type === Event_EventType.PUT && ev.kv !== undefined && ev.kv.createRevision === ev.kv.modRevision;
}

export class EventShaper {
  private readonly withPrev = new WeakMap<Event, Event>();
  private readonly withoutPrev = new WeakMap<Event, Event>();

  constructor(private readonly store: MvccStore) {}

  /** The events w receives out of evs (same order); may return evs itself. */
  shape(evs: readonly Event[], f: EventFilters): Event[] {
    let out: Event[] | undefined;
    for (let i = 0; i < evs.length; i++) {
      const ev = evs[i]!;
      const dropped = ev.type === Event_EventType.PUT ? f.noPut : f.noDelete;
      const mapped = dropped ? undefined : f.prevKv ? this.addPrev(ev) : this.stripPrev(ev);
      if (mapped !== ev && out === undefined) out = evs.slice(0, i);
      if (out !== undefined && mapped !== undefined) out.push(mapped);
    }
    return out ?? (evs as Event[]);
  }

  private stripPrev(ev: Event): Event {
    if (ev.prevKv === undefined) return ev;
    let c = this.withoutPrev.get(ev);
    if (c === undefined) {
      c = { $typeName: 'mvccpb.Event', type: ev.type, kv: ev.kv };
      this.withoutPrev.set(ev, c);
    }
    return c;
  }

  private addPrev(ev: Event): Event {
    let c = this.withPrev.get(ev);
    if (c === undefined) {
      const prevKv = this.lookupPrev(ev);
      c = prevKv === ev.prevKv ? ev : { $typeName: 'mvccpb.Event', type: ev.type, kv: ev.kv, prevKv };
      this.withPrev.set(ev, c);
    }
    return c;
  }

  /**
   * As etcd's watch server: the key's state at mod_revision - 1. A compacted revision (or a key
   * absent then) gives no prev_kv, as in etcd.
   */
  private lookupPrev(ev: Event): KeyValue | undefined {
    const kv = ev.kv;
    if (kv === undefined || isCreate(ev)) return undefined;
    const at = Number(kv.modRevision) - 1;
    if (at <= 0) return undefined;
    try {
      return this.store.read().range(kv.key, undefined, { rev: at }).kvs[0];
    } catch (e) {
      if (e instanceof ErrCompacted || e instanceof ErrFutureRev) return undefined;
      throw e;
    }
  }
}
