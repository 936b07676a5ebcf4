import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32, crc32Table } from '../../src/wal/crc32.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('CRC-32 check values', () => {
  for (const f of [crc32, crc32Table]) {
    assert.equal(f(enc('123456789'), 0), 0xcbf43926);
    assert.equal(f(new Uint8Array(0), 0), 0);
    assert.equal(f(enc('The quick brown fox jumps over the lazy dog'), 0), 0x414fa339);
  }
});

test('table and native implementations agree, and both chain', () => {
  for (let n = 0; n < 300; n++) {
    const data = randomBytes(n * 7);
    const seed = randomBytes(4).readUInt32LE(0);
    const expect = crc32Table(data, seed);
    assert.equal(crc32(data, seed), expect, `length ${data.length}`);
    const cut = Math.floor(data.length / 3);
    assert.equal(crc32Table(data.subarray(cut), crc32Table(data.subarray(0, cut), seed)), expect);
  }
});
