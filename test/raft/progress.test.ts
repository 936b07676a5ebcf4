import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, ProgressState } from '../../src/raft/index.js';

test('progress: probe sends one message at a time until acknowledged', () => {
  const p = new Progress(0, 5, 4, false);
  assert.equal(p.isPaused(), false);
  p.probeSent = true;
  assert.equal(p.isPaused(), true);
  assert.equal(p.maybeUpdate(4), true);
  assert.equal(p.isPaused(), false, 'an ack unpauses the probe');
  assert.equal(p.match, 4);
  assert.equal(p.next, 5);
});

test('progress: a stale ack does not move match backwards', () => {
  const p = new Progress(7, 8, 4, false);
  assert.equal(p.maybeUpdate(5), false);
  assert.equal(p.match, 7);
  assert.equal(p.next, 8);
});

test('progress: replicate pipelines until the inflight window is full', () => {
  const p = new Progress(5, 6, 2, false);
  p.becomeReplicate();
  assert.equal(p.next, 6);
  p.optimisticUpdate(8);
  p.inflights.add(8);
  p.optimisticUpdate(9);
  p.inflights.add(9);
  assert.equal(p.next, 10);
  assert.equal(p.isPaused(), true);
  p.inflights.freeLE(8);
  assert.equal(p.isPaused(), false);
});

test('progress: maybeDecrTo in replicate falls back to match+1, ignoring stale rejections', () => {
  const p = new Progress(5, 10, 4, false);
  p.becomeReplicate();
  p.next = 10;
  assert.equal(p.maybeDecrTo(4, 4), false, 'rejection of an index <= match is stale');
  assert.equal(p.maybeDecrTo(9, 7), true);
  assert.equal(p.next, 6);
});

test('progress: maybeDecrTo in probe jumps to the hint, only for the latest probe', () => {
  const p = new Progress(0, 10, 4, false);
  assert.equal(p.maybeDecrTo(5, 3), false, 'not the probe we sent (next-1 = 9)');
  assert.equal(p.maybeDecrTo(9, 3), true);
  assert.equal(p.next, 4, 'hint+1');
  assert.equal(p.maybeDecrTo(3, 100), true);
  assert.equal(p.next, 3, 'never beyond the rejected index');
  p.next = 1;
  assert.equal(p.maybeDecrTo(0, 0), true);
  assert.equal(p.next, 1, 'next never drops below 1');
});

test('progress: snapshot state pauses until the snapshot lands, then probes after it', () => {
  const p = new Progress(3, 4, 4, false);
  p.becomeSnapshot(20);
  assert.equal(p.state, ProgressState.Snapshot);
  assert.equal(p.isPaused(), true);
  p.becomeProbe();
  assert.equal(p.state, ProgressState.Probe);
  assert.equal(p.next, 21, 'resume after the snapshot');
  assert.equal(p.pendingSnapshot, 0);
});
