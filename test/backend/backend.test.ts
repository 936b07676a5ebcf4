import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Backend } from '../../src/backend/backend.js';
import { BUCKETS } from '../../src/backend/buckets.js';
import { crc32c, crc32cUpdate, crc32cUpdateRange } from '../../src/backend/crc32c.js';
import { tempDir } from '../mvcc/helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function withBackend(fn: (be: Backend, dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = tempDir('tsetcd-backend-');
    const be = Backend.open(join(dir, 'db'));
    try {
      await fn(be, join(dir, 'db'));
    } finally {
      be.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('crc32c matches the Castagnoli check value and chains', () => {
  assert.equal(crc32c(b('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  const data = Buffer.alloc(1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  assert.equal(crc32cUpdate(crc32cUpdate(0, data.subarray(0, 333)), data.subarray(333)), crc32c(data));
  for (const [s, e] of [[333, 1000], [1, 8], [5, 6], [7, 7], [0, 999]] as const) {
    assert.equal(crc32cUpdateRange(0, data, s, e), crc32c(data.subarray(s, e)), `range ${s}..${e}`);
  }
});

test(
  'batch commits atomically, nests, and rolls back on throw',
  withBackend((be) => {
    assert.throws(() => be.put('key', b('a'), b('1')), /outside batch/);
    let rollbacks = 0;
    be.onRollback(() => rollbacks++);
    const r = be.batch(() => {
      be.put('key', b('a'), b('1'));
      be.batch(() => be.put('lease', b('l'), b('2'))); // joins the outer txn
      assert.equal(be.get('key', b('a'))?.toString(), '1'); // reads own writes
      return 42;
    });
    assert.equal(r, 42);
    assert.throws(() =>
      be.batch(() => {
        be.put('key', b('a'), b('changed'));
        be.delete('lease', b('l'));
        throw new Error('boom');
      }),
    /boom/);
    assert.equal(rollbacks, 1);
    assert.equal(be.get('key', b('a'))?.toString(), '1');
    assert.equal(be.get('lease', b('l'))?.toString(), '2');
  }),
);

test(
  'range walks byte order with bounds, limit and reverse; buckets are separate',
  withBackend((be) => {
    be.batch(() => {
      for (const k of ['b', 'a', 'c\u00ff', 'c', 'ab']) be.put('key', b(k), b(`v${k}`));
      be.put('auth', b('a'), b('other'));
    });
    const keys = (it: Iterable<{ key: Buffer }>): string[] => [...it].map((r) => r.key.toString('latin1'));
    assert.deepEqual(keys(be.range('key')), ['a', 'ab', 'b', 'c', 'c\u00ff']);
    assert.deepEqual(keys(be.range('key', b('ab'), b('c'))), ['ab', 'b']);
    assert.deepEqual(keys(be.range('key', b('b'), undefined, { limit: 2 })), ['b', 'c']);
    assert.deepEqual(keys(be.range('key', undefined, undefined, { reverse: true })), ['c\u00ff', 'c', 'b', 'ab', 'a']);
    assert.deepEqual(keys(be.range('auth')), ['a']);
    assert.equal(be.count('key'), 5);
  }),
);

test('consistent index and term round-trip and survive reopen', () => {
  const dir = tempDir('tsetcd-backend-');
  try {
    const be = Backend.open(join(dir, 'db'));
    assert.deepEqual(be.readConsistentIndex(), { index: 0, term: 0 });
    be.batch(() => be.setConsistentIndex(2 ** 40 + 5, 7));
    be.close();
    const again = Backend.open(join(dir, 'db'));
    try {
      assert.deepEqual(again.readConsistentIndex(), { index: 2 ** 40 + 5, term: 7 });
      // etcd's encoding: 8-byte big-endian
      assert.equal(again.get('meta', b('consistent_index'))?.toString('hex'), '0000010000000005');
    } finally {
      again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'defrag really shrinks the file and keeps every row; sizeInUse tracks live pages',
  withBackend(async (be) => {
    const val = Buffer.alloc(1000, 7);
    for (let chunk = 0; chunk < 10; chunk++) {
      be.batch(() => {
        for (let i = 0; i < 2000; i++) be.put('key', b(`k${chunk}-${String(i).padStart(5, '0')}`), val);
      });
    }
    const full = { size: be.size(), inUse: be.sizeInUse() };
    assert.ok(full.inUse <= full.size && full.inUse > 20_000 * 1000, JSON.stringify(full));
    be.batch(() => {
      for (let chunk = 0; chunk < 10; chunk++) for (let i = 0; i < 1900; i++) be.delete('key', b(`k${chunk}-${String(i).padStart(5, '0')}`));
    });
    const deleted = { size: be.size(), inUse: be.sizeInUse() };
    assert.ok(deleted.size >= full.size, 'LMDB never shrinks the file by itself');
    assert.ok(deleted.inUse < full.inUse / 5, JSON.stringify(deleted));
    const before = [...be.range('key')].map((r) => r.key.toString());
    await be.defrag();
    const after = { size: be.size(), inUse: be.sizeInUse() };
    assert.ok(after.size < deleted.size / 5, `defrag: ${deleted.size} -> ${after.size}`);
    assert.deepEqual([...be.range('key')].map((r) => r.key.toString()), before);
    assert.equal(be.count('key'), 1000);
    // still writable after the swap
    be.batch(() => be.put('key', b('new'), b('1')));
    assert.equal(be.get('key', b('new'))?.toString(), '1');
  }),
);

test(
  'defrag retries when a write lands during the copy and loses nothing',
  withBackend(async (be) => {
    be.batch(() => {
      for (let i = 0; i < 5000; i++) be.put('key', b(`k${i}`), Buffer.alloc(500, 1));
    });
    const p = be.defrag();
    be.batch(() => be.put('key', b('during'), b('x'))); // lands while the copy is in flight
    await p;
    assert.equal(be.get('key', b('during'))?.toString(), 'x');
    assert.equal(be.count('key'), 5001);
  }),
);

test(
  'backend hash covers every bucket in name order and skips the consistent index',
  withBackend((be) => {
    const names = [...BUCKETS].sort();
    assert.deepEqual(names.slice(0, 4), ['alarm', 'auth', 'authRoles', 'authUsers']);
    let want = 0;
    for (const n of names) want = crc32cUpdate(want, b(n));
    assert.equal(be.hash(), want);
    be.batch(() => be.setConsistentIndex(9, 9));
    assert.equal(be.hash(), want);
    be.batch(() => be.put('alarm', b('k'), b('v')));
    want = 0;
    for (const n of names) {
      want = crc32cUpdate(want, b(n));
      if (n === 'alarm') want = crc32cUpdate(crc32cUpdate(want, b('k')), b('v'));
    }
    assert.equal(be.hash(), want);
  }),
);

test('kill -9 during a write load never corrupts the environment nor loses an acknowledged batch', async () => {
  const dir = tempDir('tsetcd-crash-');
  const child = fileURLToPath(new URL('./crash_child.js', import.meta.url));
  try {
    for (let round = 0; round < 3; round++) {
      const acked = await new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, [child, join(dir, 'db')], { stdio: ['ignore', 'pipe', 'inherit'] });
        let last = 0;
        let buf = '';
        const kill = (): void => {
          p.kill('SIGKILL');
        };
        const timer = setTimeout(kill, 10_000); // bound: kill anyway
        p.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) if (l) last = Number(l);
          if (last >= (round + 1) * 300) kill();
        });
        p.on('error', reject);
        p.on('exit', () => {
          clearTimeout(timer);
          resolve(last);
        });
      });
      const be = Backend.open(join(dir, 'db'));
      try {
        const counter = be.get('meta', b('counter'))?.readUInt32BE(0) ?? 0;
        assert.ok(counter >= acked, `acknowledged ${acked} but only ${counter} on disk`);
        assert.ok(acked > 0, 'child made progress');
        // every committed batch is complete: exactly 50 rows per batch, values intact
        assert.equal(be.count('key'), counter * 50);
        for (const { key, value } of be.range('key', undefined, undefined, { limit: 5000 })) {
          const n = key.readUInt32BE(0);
          const i = key.readUInt32BE(4);
          assert.equal(value.length, 100 + (i % 7) * 300);
          assert.ok(value.every((x) => x === (n & 0xff)));
        }
      } finally {
        be.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
