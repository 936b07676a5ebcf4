// Test helpers: a backend in a fresh temp dir, and byte/string shorthands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/backend.js';
import { MvccStore, type StoreOptions } from '../../src/mvcc/store.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');
export const NUL = new Uint8Array([0]);

export interface Env {
  dir: string;
  backend: Backend;
  store: MvccStore;
  /** Closes and reopens backend and store on the same directory. */
  reopen(): Promise<void>;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'tsetcd-mvcc-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openEnv(opts: StoreOptions = {}): Env {
  const dir = tempDir();
  const env: Env = {
    dir,
    backend: Backend.open(join(dir, 'db')),
    store: undefined as unknown as MvccStore,
    async reopen() {
      await env.store.close();
      env.backend.close();
      env.backend = Backend.open(join(dir, 'db'));
      env.store = MvccStore.open(env.backend, opts);
    },
    async cleanup() {
      await env.store.close();
      env.backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  env.store = MvccStore.open(env.backend, opts);
  return env;
}

/** put through a one-op write txn in its own batch; returns the new revision. */
export function put(env: Env, key: string, value: string, lease = 0n): number {
  return env.backend.batch(() => {
    const t = env.store.write();
    t.put(b(key), b(value), lease);
    return t.end().rev;
  });
}

export function del(env: Env, key: string, end?: Uint8Array | string): { deleted: number; rev: number } {
  return env.backend.batch(() => {
    const t = env.store.write();
    const r = t.deleteRange(b(key), typeof end === 'string' ? b(end) : end);
    return { deleted: r.deleted, rev: t.end().rev };
  });
}

/** The live keys and values at rev (0 = current) as "k=v" strings. */
export function dump(env: Env, rev = 0): string[] {
  return env.store.range(NUL, NUL, { rev }).kvs.map((kv) => `${s(kv.key)}=${s(kv.value)}`);
}
