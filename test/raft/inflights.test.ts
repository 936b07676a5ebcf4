import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inflights } from '../../src/raft/index.js';

test('inflights: fills up to its size, then reports full', () => {
  const f = new Inflights(3);
  f.add(10);
  f.add(20);
  assert.equal(f.full(), false);
  f.add(30);
  assert.equal(f.full(), true);
  assert.throws(() => f.add(40), /full/);
});

test('inflights: freeLE releases every message up to the acknowledged index', () => {
  const f = new Inflights(5);
  for (const i of [1, 2, 3, 4, 5]) f.add(i);
  f.freeLE(3);
  assert.equal(f.length(), 2);
  f.freeLE(2); // stale ack: nothing more to free
  assert.equal(f.length(), 2);
  f.freeLE(10);
  assert.equal(f.length(), 0);
});

test('inflights: the ring buffer wraps around', () => {
  const f = new Inflights(4);
  let next = 1;
  for (let round = 0; round < 10; round++) {
    while (!f.full()) f.add(next++);
    f.freeLE(next - 3); // keep two in flight
    assert.equal(f.length(), 2);
  }
  f.freeFirstOne();
  assert.equal(f.length(), 1);
  f.freeFirstOne();
  f.freeFirstOne(); // freeing an empty window is harmless
  assert.equal(f.length(), 0);
});

test('inflights: reset empties the window', () => {
  const f = new Inflights(2);
  f.add(1);
  f.add(2);
  f.reset();
  assert.equal(f.length(), 0);
  f.add(3);
  assert.equal(f.length(), 1);
});
