// Watch test helpers: a real MvccStore on a temp LMDB backend with a hub fed the way the apply
// loop feeds it (notify inside the write batch, right after the txn ends), recording sinks, and
// events printed as short strings so assertions read like histories.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/backend.js';
import { Event_EventType, type Event } from '../../src/gen/mvccpb/kv_pb.js';
import { MvccStore } from '../../src/mvcc/index.js';
import { WatchHub, type HubOptions, type Watcher, type WatchSink } from '../../src/watch/hub.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

export interface WatchEnv {
  backend: Backend;
  store: MvccStore;
  hub: WatchHub;
  cleanup(): Promise<void>;
}

export function openWatchEnv(hubOpts: HubOptions = { autoSync: false }): WatchEnv {
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-watch-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = MvccStore.open(backend);
  const hub = new WatchHub(store, hubOpts);
  return {
    backend,
    store,
    hub,
    async cleanup() {
      hub.close();
      await store.close();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Op = ['put', string, string] | ['del', string, string?];

/** One write txn of several ops, notified like the apply loop does; returns the revision. */
export function txn(env: WatchEnv, ops: Op[]): number {
  return env.backend.batch(() => {
    const t = env.store.write();
    for (const op of ops) {
      if (op[0] === 'put') t.put(b(op[1]), b(op[2]));
      else t.deleteRange(b(op[1]), op[2] === undefined ? undefined : b(op[2]), true);
    }
    const r = t.end();
    env.hub.notify(r.events, r.rev);
    return r.rev;
  });
}

export const put = (env: WatchEnv, k: string, v: string): number => txn(env, [['put', k, v]]);
export const del = (env: WatchEnv, k: string, end?: string): number => txn(env, [['del', k, end]]);

/** "PUT a=1@3" / "DELETE a@4", with "<prev=v@r>" appended when a prev_kv is attached. */
export function fmt(e: Event): string {
  const kv = e.kv!;
  const base =
    e.type === Event_EventType.PUT ? `PUT ${s(kv.key)}=${s(kv.value)}@${kv.modRevision}` : `DELETE ${s(kv.key)}@${kv.modRevision}`;
  return e.prevKv === undefined ? base : `${base}<prev=${s(e.prevKv.value)}@${e.prevKv.modRevision}>`;
}

export interface Delivery {
  watcher: Watcher;
  events: string[];
  rev: number;
}

/** A sink that records what the hub gives it; `full` makes it refuse, like a stuck stream. */
export class RecordingSink implements WatchSink {
  full = false;
  readonly deliveries: Delivery[] = [];
  readonly compactions: Array<{ watcher: Watcher; compactRev: number }> = [];
  readonly caughtUps: Watcher[] = [];

  ready(): boolean {
    return !this.full;
  }
  deliver(watcher: Watcher, events: Event[], rev: number): boolean {
    if (this.full) return false;
    this.deliveries.push({ watcher, events: events.map(fmt), rev });
    return true;
  }
  compacted(watcher: Watcher, compactRev: number): boolean {
    if (this.full) return false;
    this.compactions.push({ watcher, compactRev });
    return true;
  }
  caughtUp(w: Watcher): void {
    this.caughtUps.push(w);
  }
  /** Every event string delivered to w, in order. */
  eventsOf(w: Watcher): string[] {
    return this.deliveries.filter((d) => d.watcher === w).flatMap((d) => d.events);
  }
}
