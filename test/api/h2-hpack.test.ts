// HPACK pieces of the :authority shim, against RFC 7541's own examples (Appendix C) and tables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HUFFMAN_CODES, HUFFMAN_LENGTHS, HpackDecoder, HpackError, decodeInt, encodeInt, huffmanDecode, huffmanEncode,
} from '../../src/api/h2-hpack.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(d: HpackDecoder, block: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  d.decode(block, (f) => {
    out.push([f.name, f.value.toString('latin1')]);
    return null;
  });
  return out;
}

describe('Huffman code (RFC 7541 Appendix B)', () => {
  test('the canonical codes derived from the lengths are the RFC listed ones', () => {
    // symbol → code as printed in Appendix B (a sample across every length)
    const listed: Record<number, number> = {
      0: 0x1ff8, 1: 0x7fffd8, 2: 0xfffffe2, 9: 0xffffea, 10: 0x3ffffffc, 22: 0x3ffffffe, 32: 0x14, 33: 0x3f8,
      35: 0xffa, 39: 0x7fa, 48: 0x0, 58: 0x5c, 60: 0x7ffc, 88: 0xfc, 92: 0x7fff0, 94: 0x3ffc, 97: 0x3,
      122: 0x7b, 126: 0x1ffd, 127: 0xffffffc, 128: 0xfffe6, 153: 0x1fffdc, 195: 0x7fff1, 199: 0x1ffffec,
      203: 0x7ffffde, 220: 0xffffffd, 249: 0xffffffe, 255: 0x3ffffee, 256: 0x3fffffff,
    };
    for (const [sym, code] of Object.entries(listed)) assert.equal(HUFFMAN_CODES[Number(sym)], code, `symbol ${sym}`);
    assert.equal(HUFFMAN_LENGTHS.length, 257);
    // a complete prefix code: Kraft sum exactly 1
    assert.equal(HUFFMAN_LENGTHS.reduce((s, l) => s + 2 ** -l, 0), 1);
  });

  test('round trip of every byte value and of the RFC examples', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
    for (let i = 0; i < 256; i++) assert.deepEqual(huffmanDecode(huffmanEncode(Buffer.from([i, i, 255 - i]))), Buffer.from([i, i, 255 - i]));
    assert.equal(huffmanEncode(Buffer.from('www.example.com')).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    assert.equal(huffmanDecode(hex('a8eb10649cbf')).toString(), 'no-cache');
    assert.equal(huffmanDecode(hex('6402')).toString(), '302');
    assert.equal(huffmanDecode(Buffer.alloc(0)).length, 0);
  });

  test('bad padding and EOS are errors', () => {
    assert.throws(() => huffmanDecode(hex('00')), HpackError); // '0' (5 bits) then 000 padding
    assert.throws(() => huffmanDecode(hex('ffffffff')), HpackError); // EOS
    assert.throws(() => huffmanDecode(hex('1fff')), HpackError); // a symbol then 8+ padding bits
  });
});

describe('integers (RFC 7541 C.1)', () => {
  test('encode and decode', () => {
    assert.deepEqual(encodeInt(10, 5, 0), hex('0a'));
    assert.deepEqual(encodeInt(1337, 5, 0), hex('1f9a0a'));
    assert.deepEqual(encodeInt(42, 8, 0), hex('2a'));
    assert.deepEqual(decodeInt(hex('1f9a0a'), 0, 5), [1337, 3]);
    assert.deepEqual(decodeInt(hex('ff7f00'), 1, 7), [127, 3]);
    assert.throws(() => decodeInt(hex('1f9a'), 0, 5), HpackError);
    assert.throws(() => decodeInt(hex('1fffffffffff0f'), 0, 5), HpackError);
  });
});

describe('decoder (RFC 7541 C.3 and C.4: requests without and with Huffman)', () => {
  for (const [name, blocks] of [
    ['C.3 raw', ['828684410f7777772e6578616d706c652e636f6d', '828684be58086e6f2d6361636865', '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565']],
    ['C.4 Huffman', ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf']],
  ] as const) {
    test(name, () => {
      const d = new HpackDecoder();
      assert.deepEqual(decodeAll(d, hex(blocks[0])), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
      assert.equal(d.tableSize, 57);
      assert.deepEqual(decodeAll(d, hex(blocks[1])), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
      assert.equal(d.tableSize, 110);
      assert.deepEqual(decodeAll(d, hex(blocks[2])), [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
      assert.equal(d.tableSize, 164);
      assert.equal(d.tableLength, 3);
    });
  }

  test('size updates evict; an entry larger than the table empties it', () => {
    const d = new HpackDecoder();
    decodeAll(d, hex('828684410f7777772e6578616d706c652e636f6d')); // adds 57 bytes
    assert.equal(d.tableLength, 1);
    decodeAll(d, hex('20')); // size update to 0
    assert.equal(d.tableLength, 0);
    assert.throws(() => decodeAll(d, hex('be')), HpackError); // index 62 is gone
    decodeAll(d, Buffer.concat([hex('3f1a'), hex('410f7777772e6578616d706c652e636f6d')])); // size 57, add 57
    assert.equal(d.tableSize, 57);
    // a literal with incremental indexing larger than the table (57 + 1 bytes): the table empties
    decodeAll(d, hex('41107777772e6578616d706c652e636f6d2e'));
    assert.equal(d.tableLength, 0);
    assert.equal(d.tableSize, 0);
  });

  test('a size update above the advertised maximum, or after a field, is malformed', () => {
    assert.throws(() => new HpackDecoder().decode(hex('3fe21f')), HpackError); // 4097 > 4096
    assert.throws(() => new HpackDecoder().decode(hex('8220')), HpackError);
  });

  test('rewriting keeps the length and re-emits a raw literal of the same kind', () => {
    const d = new HpackDecoder();
    const block = hex('828684418cf1e3c2e5f23a6ba0ab90f4ff');
    const out = d.decode(block, (f) => (f.name === ':authority' ? Buffer.from('WWW.EXAMPLE.COM') : null));
    assert.ok(out);
    assert.deepEqual(out, Buffer.concat([hex('82868441'), hex('0f'), Buffer.from('WWW.EXAMPLE.COM')]));
    assert.deepEqual(decodeAll(d, hex('be')), [[':authority', 'WWW.EXAMPLE.COM']]);
    assert.throws(() => new HpackDecoder().decode(block, () => Buffer.from('short')), /keep the value length/);
  });
});
