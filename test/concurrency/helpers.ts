// Shared pieces of the concurrency tests: an in-process member, leases, bounded waits.
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { LeaseGrantRequestSchema, LeaseRevokeRequestSchema, RangeRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import type { KeyValue } from '../../src/gen/mvccpb/kv_pb.js';
import { startMember, type Member } from '../../src/embed/member.js';
import { EtcdError } from '../../src/server/errors.js';
import { prefixEnd } from '../../src/concurrency/keys.js';
import { tempDir } from '../helpers/tmp.js';

export const b = (s: string): Buffer => Buffer.from(s);
export const str = (u: Uint8Array): string => Buffer.from(u).toString();

export interface Env {
  member: Member;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const tmp = tempDir('tsetcd-concurrency-');
  const member = await startMember({ dataDir: tmp.dir, listenClientUrls: ['http://127.0.0.1:0'], defaultMetrics: false });
  return {
    member,
    async stop() {
      await member.stop();
      tmp.remove();
    },
  };
}

export async function grant(m: Member, ttl = 60n): Promise<bigint> {
  return (await m.server.leaseGrant(create(LeaseGrantRequestSchema, { TTL: ttl }))).ID;
}

export async function revoke(m: Member, id: bigint): Promise<void> {
  await m.server.leaseRevoke(create(LeaseRevokeRequestSchema, { ID: id }));
}

export async function keysUnder(m: Member, prefix: string): Promise<KeyValue[]> {
  const p = b(prefix);
  return (await m.server.range(create(RangeRequestSchema, { key: p, rangeEnd: prefixEnd(p) }))).kvs;
}

/** p settles within ms, or the test fails naming what it waited for. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether p has settled after a grace period in which any due wake-up would have happened. */
export async function isSettled(p: Promise<unknown>, graceMs = 150): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, graceMs));
  return settled;
}

/** Polls cond (bounded) until it holds. */
export async function eventually(cond: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened within ${ms} ms: ${what}`);
}

/** An assertion on an EtcdError's gRPC code and exact message. */
export function etcdError(code: number, message: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof EtcdError, `expected an EtcdError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  };
}
