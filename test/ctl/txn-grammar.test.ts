// Unit tests of etcdctl's txn grammar as tsetcdctl reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Compare_CompareResult, Compare_CompareTarget } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { argify, parseCompare, parseRequestOp, readTxn, TxnInputError, trimSpace } from '../../src/cli/ctl/commands/txn-grammar.js';
import { CtlExit } from '../../src/cli/ctl/exit.js';
import { LineReader } from '../../src/cli/ctl/io.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p, 'latin1');
}

const bytes = (s: string): number[] => [...Buffer.from(s, 'latin1')];

/** Byte arrays as number arrays, so Buffer and Uint8Array compare equal. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const eq = (actual: unknown, expected: unknown): void => assert.deepEqual(plain(actual), plain(expected));

test('compares: every target, operator and spelling', () => {
  const c = parseCompare('mod("k") > "5"');
  assert.equal(c.target, Compare_CompareTarget.MOD);
  assert.equal(c.result, Compare_CompareResult.GREATER);
  eq(c.key, bytes('k'));
  eq(c.targetUnion, { case: 'modRevision', value: 5n });
  eq(parseCompare('ver("k") = "0"').targetUnion, { case: 'version', value: 0n });
  eq(parseCompare('version("k") != "2"').result, Compare_CompareResult.NOT_EQUAL);
  eq(parseCompare('c("k") < "3"').targetUnion, { case: 'createRevision', value: 3n });
  eq(parseCompare('create("k") < "3"').target, Compare_CompareTarget.CREATE);
  eq(parseCompare('m("k") = "1"').target, Compare_CompareTarget.MOD);
  eq(parseCompare('val("k") = "v w"').targetUnion, { case: 'value', value: bytes('v w') });
  eq([...(parseCompare('value("k") = "\\x00\\xff"').targetUnion.value as Uint8Array)], [0, 0xff]);
  eq(parseCompare('value("k")    =    "x"  trailing').targetUnion, { case: 'value', value: bytes('x') });
  eq(parseCompare('value(`raw\\n`) = "x"').key, bytes('raw\\n'));
});

test('compares: malformed input is reported with etcdctl\'s messages', () => {
  const msg = (line: string): string => {
    try {
      parseCompare(line);
    } catch (e) {
      if (e instanceof TxnInputError) return e.message;
      throw e;
    }
    return 'no error';
  };
  assert.equal(msg('bogus'), 'malformed comparison: bogus');
  assert.equal(msg('value("k")="v"'), 'malformed comparison: value("k")="v"; got value("k")  ""');
  assert.equal(msg('value("k" = "v"'), 'malformed comparison: value("k" = "v"; got value("k")  ""');
  assert.equal(msg('value(k) = "v"'), 'malformed comparison: value(k) = "v"; got value("")  ""');
  assert.equal(msg('value("k") ='), 'malformed comparison: value("k") =; got value("k") = ""');
  assert.equal(msg('nope("k") = "v"'), 'malformed comparison: nope("k") = "v" (unknown target nope)');
  assert.equal(msg('ver("k") = "x"'), 'invalid txn compare request: ver("k") = "x"');
  assert.equal(msg('mod("k") = "1.5"'), 'invalid txn compare request: mod("k") = "1.5"');
});

test('compares: what makes etcdctl 3.4 panic still ends with exit code 2', () => {
  const code = (line: string): number => {
    try {
      parseCompare(line);
    } catch (e) {
      if (e instanceof CtlExit) return e.code;
      throw e;
    }
    return 0;
  };
  assert.equal(code('ver("k") >= "1"'), 2);
  assert.equal(code('value("k") == "1"'), 2);
  assert.equal(code('lease("k") = "1"'), 2);
});

test('argify: words, "Go strings", \'single quotes\' with etcdctl\'s slicing', () => {
  eq(argify('put k v'), ['put', 'k', 'v']);
  eq(argify('  put   "a b"  "c\\td"  '), ['put', 'a b', 'c\td']);
  eq(argify("put 'k' v"), ['put', 'k', 'v']);
  // etcdctl slices a quoted word with the word count: 'value' among 3 words keeps 1 char.
  eq(argify("put k 'value'"), ['put', 'k', 'v']);
  assert.throws(() => argify("'k'"), (e: unknown) => e instanceof CtlExit && e.code === 2);
  assert.throws(() => argify('put "bad\\q" v'), (e: unknown) => e instanceof CtlExit && e.code === 3 && e.message === 'invalid syntax');
});

test('request lines: put/get/del with flags and prefixes', async () => {
  const r = new LineReader(chunks(''));
  const put = await parseRequestOp('put k v --prev-kv', r);
  assert.equal(put.request.case, 'requestPut');
  assert.equal(put.request.case === 'requestPut' && put.request.value.prevKv, true);
  const get = await parseRequestOp('g a --prefix --limit=2', r);
  assert.equal(get.request.case, 'requestRange');
  if (get.request.case === 'requestRange') {
    eq(get.request.value.rangeEnd, bytes('b'));
    assert.equal(get.request.value.limit, 2n);
  }
  const del = await parseRequestOp('del a z', r);
  assert.equal(del.request.case === 'requestDeleteRange' && Buffer.from(del.request.value.rangeEnd).toString(), 'z');
  await assert.rejects(parseRequestOp('get', r), (e: unknown) => e instanceof TxnInputError && e.message === 'invalid txn compare request: get');
  await assert.rejects(parseRequestOp('frob x', r), (e: unknown) => e instanceof TxnInputError && e.message === 'invalid txn request: frob x');
  await assert.rejects(parseRequestOp('get x --bogus', r), (e: unknown) => e instanceof TxnInputError);
  await assert.rejects(parseRequestOp('get x y --prefix', r), (e: unknown) => e instanceof CtlExit && e.code === 128);
});

test('a whole txn: blocks end at blank lines; input without a final newline is EOF', async () => {
  const prompts: string[] = [];
  const t = await readTxn(new LineReader(chunks('value("a") = "1"\n', '\nput a 2\n', '\n\n')), (s) => prompts.push(s));
  assert.equal(t.compare.length, 1);
  assert.equal(t.success.length, 1);
  assert.equal(t.failure.length, 0);
  eq(prompts, ['compares:', 'success requests (get, put, del):', 'failure requests (get, put, del):']);
  await assert.rejects(readTxn(new LineReader(chunks('\n\nget a\n')), () => undefined),
    (e: unknown) => e instanceof CtlExit && e.code === 3 && e.message === 'EOF');
  await assert.rejects(readTxn(new LineReader(chunks('\n\n\n'.slice(0, 2))), () => undefined),
    (e: unknown) => e instanceof CtlExit && e.message === 'EOF');
  assert.equal(trimSpace(' \t x y \r\n'), 'x y');
});
