// A lessor over a real backend and mvcc store in a temp dir, driven by a manual clock, with the
// apply-path operations wrapped the way the server's apply loop performs them (one backend
// batch each; revoke deletes the keys in one mvcc txn).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/backend.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { ManualClock } from '../../src/lease/clock.js';
import { Lessor, type LessorOptions } from '../../src/lease/lessor.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

export class LeaseEnv {
  readonly clock = new ManualClock(1_000_000);
  backend: Backend;
  store: MvccStore;
  lessor: Lessor;
  private readonly dir: string;

  constructor(private opts: LessorOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'tsetcd-lease-'));
    this.backend = Backend.open(join(this.dir, 'db'));
    this.store = MvccStore.open(this.backend);
    this.lessor = Lessor.restore(this.backend, this.store, this.clock, opts);
  }

  grant(id: bigint, ttl: number): number {
    return this.backend.batch(() => this.lessor.grant(id, ttl).ttl);
  }

  /** A put of key with a lease (0n = none), as the apply loop does it. */
  put(key: string, lease: bigint): void {
    this.backend.batch(() => {
      this.lessor.keyPut(b(key), lease); // throws before anything is written
      const txn = this.store.write();
      txn.put(b(key), b('v'), lease);
      txn.end();
    });
  }

  /** A DeleteRange (etcd's rules: end undefined = one key, '\0' = from key on). */
  del(key: string, end?: string): void {
    this.backend.batch(() => {
      this.lessor.keysDeleted(b(key), end === undefined ? undefined : b(end));
      const txn = this.store.write();
      txn.deleteRange(b(key), end === undefined ? undefined : b(end));
      txn.end();
    });
  }

  /** Revokes a lease and deletes its keys in one revision; returns the deleted keys. */
  revoke(id: bigint): string[] {
    return this.backend.batch(() => {
      const keys = this.lessor.revoke(id);
      const txn = this.store.write();
      for (const k of keys) txn.deleteRange(k, undefined);
      txn.end();
      return keys.map(s);
    });
  }

  checkpoint(id: bigint, remaining: number): void {
    this.backend.batch(() => this.lessor.checkpoint(id, remaining));
  }

  /** Live keys in the store. */
  keys(): string[] {
    return this.store.range(b('\0'), b('\0'), {}).kvs.map((kv) => s(kv.key));
  }

  /** Simulates a restart: reopen backend and store, restore the lessor (non-primary). */
  async restart(opts: LessorOptions = this.opts): Promise<void> {
    this.opts = opts;
    this.lessor.close();
    await this.store.close();
    this.backend.close();
    this.backend = Backend.open(join(this.dir, 'db'));
    this.store = MvccStore.open(this.backend);
    this.lessor = Lessor.restore(this.backend, this.store, this.clock, this.opts);
  }

  async cleanup(): Promise<void> {
    this.lessor.close();
    await this.store.close();
    this.backend.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function withEnv(fn: (env: LeaseEnv) => void | Promise<void>, opts: LessorOptions = {}): Promise<void> {
  const env = new LeaseEnv(opts);
  try {
    await fn(env);
  } finally {
    await env.cleanup();
  }
}
