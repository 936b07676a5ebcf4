// Property test: the store against a plain in-memory model of etcd's MVCC semantics (a full
// snapshot of the key space per revision), over random puts, deletes, multi-op txns,
// compactions and reopens. After every step the current state must match; at the end every
// revision is checked (compacted ones must be refused), and a twin store that saw the same
// history without reopens must hash the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrCompacted, ErrFutureRev } from '../../src/mvcc/errors.js';
import { b, NUL, openEnv, s, type Env } from './helpers.js';

interface MKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}
type Snapshot = Map<string, MKv>;

type Op =
  | { t: 'put'; key: string; value: string; lease: bigint }
  | { t: 'del'; key: string; end: string | null | undefined }; // undefined: single, null: "\0" (from key)
type Step = { t: 'txn'; ops: Op[] } | { t: 'compact'; back: number } | { t: 'reopen' };

const KEYS = ['a', 'ab', 'abc', 'b', 'b\u00ff', 'c', '\u0000', '\u00ff'];
const keyArb = fc.constantFrom(...KEYS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('put' as const), key: keyArb, value: fc.string({ maxLength: 4 }), lease: fc.constantFrom(0n, 7n) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('del' as const), key: keyArb, end: fc.option(fc.option(keyArb, { nil: null }), { nil: undefined }) }) },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('txn' as const), ops: fc.array(opArb, { minLength: 0, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), back: fc.nat({ max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
);

function inRange(k: string, key: string, end: string | null | undefined): boolean {
  if (end === undefined) return k === key;
  if (end === null || end === '\u0000') return k >= key; // a "\0" range end means "every key >= key"
  return k >= key && k < end;
}

class Model {
  snaps: Snapshot[] = [new Map(), new Map()]; // index = revision; rev 1 is the empty store
  compactRev = -1;
  get rev(): number {
    return this.snaps.length - 1;
  }
  txn(ops: Op[]): void {
    const w: Snapshot = new Map(this.snaps[this.rev]);
    const R = this.rev + 1;
    let changed = false;
    for (const op of ops) {
      if (op.t === 'put') {
        const prev = w.get(op.key);
        w.set(op.key, { value: op.value, create: prev ? prev.create : R, mod: R, version: prev ? prev.version + 1 : 1, lease: op.lease });
        changed = true;
      } else {
        for (const k of [...w.keys()]) {
          if (inRange(k, op.key, op.end)) {
            w.delete(k);
            changed = true;
          }
        }
      }
    }
    if (changed) this.snaps.push(w);
  }
}

const endBytes = (end: string | null | undefined): Uint8Array | undefined =>
  end === undefined ? undefined : end === null ? NUL : b(end);

function applyTxn(env: Env, ops: Op[]): number {
  return env.backend.batch(() => {
    const t = env.store.write();
    for (const op of ops) {
      if (op.t === 'put') t.put(b(op.key), b(op.value), op.lease);
      else t.deleteRange(b(op.key), endBytes(op.end));
    }
    return t.end().rev;
  });
}

function view(env: Env, rev: number, key: Uint8Array = NUL, end: Uint8Array | undefined = NUL): string[] {
  return env.store.range(key, end, { rev }).kvs.map(
    (kv) => `${s(kv.key)}=${s(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`,
  );
}

function modelView(m: Model, rev: number, key = '\u0000', end: string | null | undefined = null): string[] {
  return [...m.snaps[rev]!.entries()]
    .filter(([k]) => inRange(k, key, end))
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v.value}@${v.create}/${v.mod}/v${v.version}/l${v.lease}`);
}

test('the store behaves like the model over random histories (with compaction and reopen)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
      const env = openEnv({ keysPerChunk: 2, rowsPerChunk: 3 });
      const twin = openEnv();
      const m = new Model();
      try {
        for (const step of steps) {
          if (step.t === 'txn') {
            const rev = applyTxn(env, step.ops);
            applyTxn(twin, step.ops);
            m.txn(step.ops);
            assert.equal(rev, m.rev);
          } else if (step.t === 'compact') {
            const target = Math.max(1, m.rev - step.back);
            if (target <= m.compactRev) {
              assert.throws(() => env.store.compact(target), ErrCompacted);
            } else {
              await env.store.compact(target).physicalDone;
              await twin.store.compact(target).physicalDone;
              m.compactRev = target;
            }
          } else {
            await env.reopen();
          }
          assert.equal(env.store.rev, m.rev);
          assert.equal(env.store.compactRev, m.compactRev);
          assert.deepEqual(view(env, 0), modelView(m, m.rev));
        }
        for (let rev = 1; rev <= m.rev; rev++) {
          if (rev < m.compactRev) {
            assert.throws(() => view(env, rev), ErrCompacted);
            continue;
          }
          assert.deepEqual(view(env, rev), modelView(m, rev), `at revision ${rev}`);
          for (const key of KEYS) {
            assert.deepEqual(view(env, rev, b(key), undefined), modelView(m, rev, key, undefined));
            assert.deepEqual(view(env, rev, b(key), b('b')), modelView(m, rev, key, 'b'));
          }
          const lim = env.store.range(NUL, NUL, { rev, limit: 2 });
          assert.equal(lim.count, m.snaps[rev]!.size);
          assert.equal(lim.kvs.length, Math.min(2, m.snaps[rev]!.size));
        }
        assert.throws(() => view(env, m.rev + 1), ErrFutureRev);
        assert.deepEqual(env.store.hashKV(0), twin.store.hashKV(0));
        await env.reopen();
        assert.deepEqual(env.store.hashKV(0), twin.store.hashKV(0));
        assert.deepEqual(view(env, 0), modelView(m, m.rev));
      } finally {
        await env.cleanup();
        await twin.cleanup();
      }
    }),
    { numRuns: Number(process.env.MVCC_PROP_RUNS ?? 60), includeErrorInReport: true },
  );
});
