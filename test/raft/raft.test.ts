// Unit tests of single rules of the core, observed through the messages it sends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, StateRole, message, MemoryStorage, RawNode, Sfc32, ProposalDroppedError } from '../../src/raft/index.js';
import { Cluster } from './helpers/cluster.js';

test('election: a candidate with a majority of votes becomes leader in a new term', () => {
  const c = Cluster.start([1, 2, 3]);
  c.tickAll(25); // someone times out (randomized in [10, 20) ticks)
  const l = c.leader();
  assert.ok(l);
  assert.equal(l.term, 2);
  assert.equal([1, 2, 3].filter((id) => c.get(id).role === StateRole.Leader).length, 1);
  for (const id of [1, 2, 3]) assert.equal(c.get(id).raft.lead, l.id);
});

test('election: a node does not vote twice in one term', () => {
  const c = Cluster.start([1, 2, 3]);
  const r2 = c.get(2).raw;
  r2.step(message({ type: MessageType.Vote, from: 1n, to: 2n, term: 5, index: 3, logTerm: 1 }));
  r2.step(message({ type: MessageType.Vote, from: 3n, to: 2n, term: 5, index: 3, logTerm: 1 }));
  const rd = r2.ready();
  const resps = rd.messages.filter((m) => m.type === MessageType.VoteResp);
  assert.deepEqual(resps.map((m) => [m.to, m.reject]), [[1n, false], [3n, true]]);
  assert.equal(rd.hardState?.vote, 1n, 'the vote is in the hard state to persist before replying');
  assert.equal(rd.mustSync, true);
});

test('election: a node refuses a candidate whose log is behind', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.propose(1, 'x');
  c.stabilize();
  const r2 = c.get(2).raw;
  r2.step(message({ type: MessageType.Vote, from: 3n, to: 2n, term: 9, index: 4, logTerm: 2 })); // same last term, shorter
  const resp = r2.ready().messages.find((m) => m.type === MessageType.VoteResp)!;
  assert.equal(resp.reject, true);
});

test('a message from a higher term makes a leader step down', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.get(1).raw.step(message({ type: MessageType.AppResp, from: 2n, to: 1n, term: 7, index: 0 }));
  assert.equal(c.get(1).role, StateRole.Follower);
  assert.equal(c.get(1).term, 7);
});

test('replication: fast backtracking skips a whole conflicting term per probe', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  // 1 is cut off and takes 30 proposals it can never commit (term 2)...
  c.isolate(1);
  for (let i = 0; i < 30; i++) c.propose(1, `lost${i}`);
  c.stabilize();
  // ...while 2 leads term 3 and commits 30 others.
  c.campaign(2);
  for (let i = 0; i < 30; i++) c.propose(2, `kept${i}`);
  c.stabilize();
  // A fresh leader knows nothing of 1 and starts probing at its own last index.
  c.campaign(3);
  c.heal();
  const before = c.sent.length;
  c.tickAll(3);
  const rejects = c.sent.slice(before).filter((m) => m.type === MessageType.AppResp && m.from === 1n && m.reject);
  // Backing off one entry at a time would take ~30 rejections.
  assert.ok(rejects.length >= 1 && rejects.length <= 2, `${rejects.length} rejections`);
  assert.deepEqual(c.appliedBy(1), c.appliedBy(2));
  assert.equal(c.appliedBy(1).length, 30);
});

test('replication: at most maxInflightMsgs appends are unacknowledged at once', () => {
  const c = Cluster.start([1, 2, 3], [], { maxInflightMsgs: 2, maxSizePerMsg: 1 });
  c.campaign(1);
  c.dropTypes.add(MessageType.AppResp); // acks are lost: the window fills and stays full
  const before = c.sent.length;
  for (let i = 0; i < 10; i++) c.propose(1, `e${i}`);
  c.stabilize();
  const apps = c.sent.slice(before).filter((m) => m.type === MessageType.App && m.to === 2n && m.entries.length > 0);
  assert.equal(apps.length, 2);
  // A heartbeat response proves the follower alive and frees one slot.
  c.dropTypes.clear();
  c.tickAll(1);
  assert.deepEqual(c.appliedBy(2).length, 10);
});

test('replication: maxSizePerMsg bounds the entries per append (at least one)', () => {
  const c = Cluster.start([1, 2, 3], [], { maxSizePerMsg: 64 });
  c.campaign(1);
  c.isolate(2);
  for (let i = 0; i < 10; i++) c.propose(1, 'x'.repeat(20));
  c.stabilize();
  c.heal();
  const before = c.sent.length;
  c.tickAll(2);
  const apps = c.sent.slice(before).filter((m) => m.type === MessageType.App && m.to === 2n && m.entries.length > 0);
  assert.ok(apps.length >= 5);
  for (const m of apps) assert.ok(m.entries.length <= 1 || m.entries.reduce((n, e) => n + e.data.length + 16, 0) <= 64);
  assert.equal(c.appliedBy(2).length, 10);
});

test('proposals without a known leader are dropped, and say so', () => {
  const storage = new MemoryStorage();
  const raw = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, rand: new Sfc32(1) });
  assert.throws(() => raw.propose(new Uint8Array([1])), ProposalDroppedError);
  assert.equal(raw.tryPropose(new Uint8Array([1])), false);
  assert.throws(() => raw.step(message({ type: MessageType.Hup })), /local message/);
});

test('the randomized election timeout comes from the injected source only', () => {
  const timeouts = (seed: number): number[] => {
    const out: number[] = [];
    for (let round = 0; round < 3; round++) {
      const storage = new MemoryStorage();
      storage.append([{ term: 1, index: 1, type: 1, data: new Uint8Array([0, 1, 0]) }]);
      const raw = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, rand: new Sfc32(seed + round) });
      raw.applyConfChange({ type: 0, nodeId: 1n, context: new Uint8Array() });
      let ticks = 0;
      while (raw.raft.state !== StateRole.Leader && ticks < 100) {
        raw.tick();
        ticks++;
      }
      out.push(ticks);
    }
    return out;
  };
  assert.deepEqual(timeouts(5), timeouts(5));
  for (const t of timeouts(5)) assert.ok(t >= 10 && t < 20, `timeout ${t}`);
});

test('snapshot: a failed send returns the follower to probing, and the snapshot is sent again', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.crash(3);
  for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
  c.stabilize();
  const l = c.get(1);
  l.storage.createSnapshot(l.appliedIndex, l.raft.prs.confState(), new Uint8Array([1]));
  l.storage.compact(l.appliedIndex);
  c.restart(3);
  c.dropTypes.add(MessageType.Snap); // the snapshot gets lost on the way...
  c.tickAll(2);
  const pr = l.raft.prs.progress.get(3n)!;
  assert.equal(pr.state, 2, 'waiting in Snapshot state');
  l.raw.reportSnapshot(3n, false); // ...and the transport says so
  assert.equal(pr.state, 0, 'back to Probe');
  c.dropTypes.clear();
  c.tickAll(3);
  assert.equal(c.get(3).raft.raftLog.committed, l.raft.raftLog.committed);
  assert.equal(c.sent.filter((m) => m.type === MessageType.Snap && m.to === 3n).length, 2);
});

test('leader transfer: abandoned after an election timeout if the transferee never catches up', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.isolate(3);
  c.propose(1, 'x');
  c.stabilize();
  c.get(1).raw.transferLeader(3n);
  assert.equal(c.get(1).raft.leadTransferee, 3n);
  assert.equal(c.get(1).raw.tryPropose(new Uint8Array([1])), false, 'proposals wait for the transfer');
  c.tick(1, 10);
  assert.equal(c.get(1).raft.leadTransferee, 0n);
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(1).raw.tryPropose(new Uint8Array([1])), true);
});

test('a learner ignores TimeoutNow: it may never lead', () => {
  const c = Cluster.start([1, 2], [3]);
  c.campaign(1);
  c.get(3).raw.step(message({ type: MessageType.TimeoutNow, from: 1n, to: 3n, term: c.get(1).term }));
  c.processReady(3n);
  assert.equal(c.get(3).role, StateRole.Follower);
  assert.equal(c.get(3).term, c.get(1).term);
});

test('check-quorum: a leader that hears from no follower steps down after one election timeout', () => {
  const c = Cluster.start([1, 2, 3], [], { checkQuorum: true });
  c.campaign(1);
  c.isolate(1);
  c.tick(1, 9);
  assert.equal(c.get(1).role, StateRole.Leader);
  c.tick(1, 11); // the first check after the followers went silent finds them active from before
  assert.equal(c.get(1).role, StateRole.Follower);
});

test('ReadIndex on a new leader waits until it has committed an entry of its term', () => {
  const c = Cluster.start([1, 2, 3]);
  c.dropTypes.add(MessageType.App); // the leader cannot commit its empty entry yet
  c.campaign(1);
  c.get(1).raw.readIndex(new TextEncoder().encode('early'));
  c.processReady(1n);
  c.stabilize();
  assert.equal(c.get(1).readStates.length, 0);
  c.dropTypes.clear();
  c.tickAll(3);
  assert.equal(c.get(1).readStates.length, 1);
  assert.equal(c.get(1).readStates[0]!.index, c.get(1).raft.raftLog.committed);
});
