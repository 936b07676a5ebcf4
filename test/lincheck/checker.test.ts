// The checker accepts linearizable register histories and rejects the anomalies a broken
// replicated store shows: stale reads, lost writes, CAS on stale values, reads of values never
// written. Times are plain numbers; [call, ret] intervals; ret Infinity = indeterminate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from './checker.js';
import type { History } from './history.js';
import type { Input, Output } from './model.js';

type Row = [client: number, input: Input, call: number, ret: number, output?: Output, key?: string];

function h(rows: Row[]): History {
  return rows.map(([client, input, call, ret, output, key], id) => ({ id, client, key: key ?? 'k', input, call, ret, output }));
}
const put = (value: string): Input => ({ f: 'put', value });
const get: Input = { f: 'get' };
const cas = (expected: string, value: string): Input => ({ f: 'cas', expected, value });
const del: Input = { f: 'delete' };
const INF = Infinity;

function accepts(rows: Row[]): void {
  const r = check(h(rows));
  assert.equal(r.result, 'ok', r.result !== 'ok' ? r.explanation : '');
}
function rejects(rows: Row[]): string {
  const r = check(h(rows));
  assert.equal(r.result, 'illegal');
  return r.result === 'illegal' ? r.explanation : '';
}

describe('lincheck: accepts linearizable histories', () => {
  test('empty history and reads of an absent key', () => {
    accepts([]);
    accepts([[0, get, 0, 1, null]]);
  });
  test('sequential put / get / delete', () => {
    accepts([[0, put('a'), 0, 1], [0, get, 2, 3, 'a'], [0, del, 4, 5, 1], [0, get, 6, 7, null], [0, del, 8, 9, 0]]);
  });
  test('a read concurrent with a put may see the old or the new value', () => {
    accepts([[0, put('a'), 0, 1], [1, put('b'), 2, 10], [2, get, 3, 4, 'a'], [3, get, 5, 6, 'b'], [2, get, 11, 12, 'b']]);
  });
  test('two concurrent puts: readers agree on one order', () => {
    accepts([[0, put('a'), 0, 10], [1, put('b'), 0, 10], [2, get, 11, 12, 'a'], [3, get, 13, 14, 'a']]);
    accepts([[0, put('a'), 0, 10], [1, put('b'), 0, 10], [2, get, 1, 2, 'b'], [3, get, 3, 4, 'a'], [3, get, 11, 12, 'a']]);
  });
  test('concurrent CAS: exactly one wins', () => {
    accepts([[0, put('a'), 0, 1], [1, cas('a', 'x'), 2, 10, true], [2, cas('a', 'y'), 2, 10, false], [0, get, 11, 12, 'x']]);
  });
  test('CAS on a missing key fails', () => {
    accepts([[0, cas('a', 'x'), 0, 1, false], [0, get, 2, 3, null]]);
  });
  test('a CAS that linearizes before a concurrent put', () => {
    accepts([[0, put('a'), 0, 1], [1, put('b'), 2, 10], [2, cas('a', 'c'), 3, 9, true], [3, get, 11, 12, 'b']]);
  });
  test('indeterminate writes: may take effect late, or never', () => {
    accepts([[0, put('a'), 0, 1], [1, put('x'), 2, INF], [2, get, 3, 4, 'a'], [2, get, 100, 101, 'x'], [3, get, 102, 103, 'x']]);
    accepts([[0, put('a'), 0, 1], [1, put('x'), 2, INF], [2, get, 100, 101, 'a']]);
    accepts([[0, put('a'), 0, 1], [1, cas('a', 'x'), 2, INF], [1, del, 3, INF], [2, get, 100, 101, null]]);
  });
  test('keys are independent', () => {
    accepts([[0, put('a'), 0, 1, undefined, 'k1'], [0, put('b'), 0, 1, undefined, 'k2'], [1, get, 2, 3, 'a', 'k1'], [1, get, 2, 3, 'b', 'k2']]);
  });
  test('operations sharing an instant are concurrent', () => {
    accepts([[0, put('a'), 0, 5], [1, get, 5, 6, null]]);
  });
});

describe('lincheck: rejects non-linearizable histories', () => {
  test('stale read after an acknowledged write', () => {
    const why = rejects([[0, put('a'), 0, 1], [0, put('b'), 2, 3], [1, get, 4, 5, 'a']]);
    assert.match(why, /not linearizable/);
    assert.match(why, /get\(\) → a/);
  });
  test('lost write: an acknowledged put is not seen', () => {
    rejects([[0, put('a'), 0, 1], [1, get, 2, 3, null]]);
  });
  test('a CAS that succeeded on a stale value', () => {
    rejects([[0, put('a'), 0, 1], [0, put('b'), 2, 3], [1, cas('a', 'c'), 4, 5, true]]);
  });
  test('a CAS that failed although the value matched', () => {
    rejects([[0, put('a'), 0, 1], [1, cas('a', 'c'), 2, 3, false]]);
  });
  test('a read of a value never written', () => {
    rejects([[0, put('a'), 0, 1], [1, get, 0, 5, 'zz']]);
  });
  test('a read of an indeterminate write before that write was invoked', () => {
    rejects([[1, get, 0, 1, 'x'], [0, put('x'), 2, INF]]);
  });
  test('readers disagree on the order of two writes (non-monotonic reads)', () => {
    rejects([[0, put('a'), 0, 10], [1, put('b'), 0, 10], [2, get, 11, 12, 'b'], [3, get, 13, 14, 'a']]);
  });
  test('a delete that reports deleting nothing although the key exists', () => {
    rejects([[0, put('a'), 0, 1], [1, del, 2, 3, 0]]);
  });
  test('a write lost after a delete: the value comes back', () => {
    rejects([[0, put('a'), 0, 1], [0, del, 2, 3, 1], [1, get, 4, 5, 'a']]);
  });
  test('one bad key fails the whole history', () => {
    const r = check(h([[0, put('a'), 0, 1, undefined, 'good'], [1, get, 2, 3, 'a', 'good'], [0, put('a'), 0, 1, undefined, 'bad'], [1, get, 2, 3, null, 'bad']]));
    assert.equal(r.result, 'illegal');
    assert.equal(r.result === 'illegal' ? r.key : '', 'bad');
  });
});

describe('lincheck: a bounded search', () => {
  test('out of budget → unknown (never ok)', () => {
    // 16 fully concurrent writes and a read of a value none of them wrote: the search has to
    // try (almost) every subset before it can say no.
    const rows: Row[] = [];
    for (let i = 0; i < 16; i++) rows.push([i, put(`v${i}`), 0, 100]);
    rows.push([99, get, 101, 102, 'nope']);
    const r = check(h(rows), { maxSteps: 2048 });
    assert.equal(r.result, 'unknown');
    assert.match(r.result === 'unknown' ? r.explanation : '', /budget exhausted/);
  });
  test('the same history with budget: illegal', () => {
    const rows: Row[] = [];
    for (let i = 0; i < 12; i++) rows.push([i, put(`v${i}`), 0, 100]);
    rows.push([99, get, 101, 102, 'nope']);
    assert.equal(check(h(rows)).result, 'illegal');
  });
});
