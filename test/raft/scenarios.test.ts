// The classic Raft situations, each played out step by step on a small cluster.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  StateRole,
  type RaftMutations,
} from '../../src/raft/index.js';
import { Cluster } from './helpers/cluster.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Figure 8 of the Raft paper. S1 (term 2) replicates "a" at index 7 to S2 only, crashes;
 * S5 wins term 3 and writes its own entry at 7, crashes; S1 returns, wins term 4 and copies
 * "a" to S3, so a majority stores it -- but it is from term 2. If S1 committed it by
 * counting, S5 could still win term 5 and overwrite it.
 */
function figure8(mutations?: RaftMutations): { c: Cluster; s1CommitInTerm4: number; s5TermAt7: number; s1AppliedA: boolean } {
  const c = Cluster.start([1, 2, 3, 4, 5], [], { maxSizePerMsg: 1, mutations });
  c.campaign(1);
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(1).term, 2);
  const base = c.get(1).raft.raftLog.lastIndex(); // 5 bootstrap entries + S1's empty entry = 6

  // (a) S1 replicates "a" at base+1 to S2 only.
  c.partition([1, 2], [3, 4, 5]);
  c.propose(1, 'a');
  c.stabilize();
  assert.equal(c.get(2).raft.raftLog.lastIndex(), base + 1);
  assert.equal(c.get(1).raft.raftLog.committed, base); // not on a majority

  // (b) S1 crashes; S5 wins term 3 with S3 and S4, and its entry at base+1 stays local.
  c.crash(1);
  c.heal();
  c.partition([5, 3, 4], [2]);
  c.filter = (m) => !(m.type === MessageType.App && m.from === 5n);
  c.campaign(5);
  assert.equal(c.get(5).role, StateRole.Leader);
  assert.equal(c.get(5).term, 3);
  assert.equal(c.get(5).raft.raftLog.lastIndex(), base + 1);
  assert.equal(c.get(3).raft.raftLog.lastIndex(), base);
  c.crash(5);

  // (c) S1 restarts and wins term 4 (S2, S3, S4 vote: its last entry a@2 beats theirs).
  c.heal();
  c.crash(5);
  c.restart(1);
  // Let the old entry base+1 reach the others, but never S1's own term-4 entry: drop any
  // append carrying it that the follower would accept (rejected probes still get through,
  // so S1 backtracks and re-sends a@2 on its own).
  c.filter = (m) =>
    !(m.type === MessageType.App &&
      m.entries.some((e) => e.term === 4) &&
      c.get(m.to).raft.raftLog.matchTerm(m.index, m.logTerm));
  for (let i = 0; i < 3 && c.get(1).role !== StateRole.Leader; i++) c.campaign(1);
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(1).term, 4);
  c.tickAll(3); // heartbeats unpause probes that were dropped
  assert.equal(c.get(3).raft.raftLog.term(base + 1), 2, 'S3 now stores a@2: a majority has it');
  const s1CommitInTerm4 = c.get(1).raft.raftLog.committed;
  const s1AppliedA = c.get(1).applied.includes('a');

  // (d) S1 crashes; S5 returns and wins with S2, S3, S4 (its last term 3 beats 2). Its
  // appends are held back so we can look at its log before it overwrites anyone.
  c.crash(1);
  c.filter = (m) => !(m.type === MessageType.App && m.from === 5n);
  c.restart(5);
  for (let i = 0; i < 3 && c.get(5).role !== StateRole.Leader; i++) c.campaign(5);
  assert.equal(c.get(5).role, StateRole.Leader);
  return { c, s1CommitInTerm4, s5TermAt7: c.get(5).raft.raftLog.term(base + 1), s1AppliedA };
}

test('figure 8: an old-term entry on a majority is not committed by counting', () => {
  const r = figure8();
  const base = 6;
  assert.equal(r.s1CommitInTerm4, base, 'S1 must not commit index 7 from term 2 by counting replicas');
  assert.equal(r.s1AppliedA, false);
  // S5 legitimately replaces the uncommitted entry everywhere.
  assert.equal(r.s5TermAt7, 3);
  r.c.filter = null;
  r.c.tickAll(3);
  for (const id of [2, 3, 4]) assert.equal(r.c.get(id).raft.raftLog.term(base + 1), 3, `member ${id}`);
  for (const id of [2, 3, 4, 5]) assert.equal(r.c.get(id).applied.includes('a'), false);
});

test('figure 8 with the planted bug: a leader is elected without an applied entry', () => {
  const r = figure8({ commitOldTermByCounting: true });
  assert.equal(r.s1CommitInTerm4, 7, 'the mutant commits the term-2 entry by counting');
  assert.equal(r.s1AppliedA, true, 'and applies it');
  assert.equal(r.s5TermAt7, 3, 'yet S5 leads with a different entry at 7: leader completeness is broken');
});

test('a partitioned leader steps down (check-quorum) and its uncommitted entries are replaced', () => {
  const c = Cluster.start([1, 2, 3], [], { checkQuorum: true, preVote: true });
  c.campaign(1);
  c.isolate(1);
  c.propose(1, 'lost');
  c.stabilize();
  // The majority side elects a new leader after an election timeout.
  c.tickAll(30);
  const l = c.leader();
  assert.ok(l && l.id !== 1n, 'the majority elected a new leader');
  assert.notEqual(c.get(1).role, StateRole.Leader, 'the old leader noticed it lost its quorum');
  c.propose(Number(l.id), 'kept');
  c.stabilize();
  c.heal();
  c.tickAll(5);
  for (const id of [1, 2, 3]) {
    assert.deepEqual(c.appliedBy(id), ['kept'], `member ${id}`);
    assert.equal(c.get(id).raft.raftLog.lastIndex(), l.raft.raftLog.lastIndex());
  }
});

test('a lagging follower is caught up with a snapshot after the leader compacted its log', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.crash(3);
  for (let i = 0; i < 20; i++) c.propose(1, `v${i}`);
  c.stabilize();
  const leader = c.get(1);
  const applied = leader.appliedIndex;
  leader.storage.createSnapshot(applied, leader.raft.prs.confState(), enc('state'));
  leader.storage.compact(applied);
  c.restart(3);
  c.tickAll(3);
  assert.ok(c.sent.some((m) => m.type === MessageType.Snap && m.to === 3n), 'a MsgSnap was sent');
  const f = c.get(3);
  assert.equal(f.storage.snapshot().metadata.index, applied);
  assert.ok(f.raft.raftLog.applied >= applied, 'the snapshot counts as applied');
  assert.equal(f.raft.raftLog.committed, leader.raft.raftLog.committed);
  c.propose(1, 'after');
  c.stabilize();
  assert.deepEqual(f.applied, ['after'], 'entries after the snapshot are applied normally');
});

test('leader transfer: the transferee is caught up, then campaigns at once', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  // Make 3 lag behind, then ask for a transfer to it.
  c.partition([3], [1, 2]);
  c.propose(1, 'x');
  c.stabilize();
  c.heal();
  c.get(1).raw.transferLeader(3n);
  c.processReady(1n);
  assert.throws(() => c.propose(1, 'during'), /dropped/, 'proposals are refused during a transfer');
  c.stabilize();
  assert.equal(c.get(3).role, StateRole.Leader);
  assert.equal(c.get(3).term, 3);
  assert.ok(c.sent.some((m) => m.type === MessageType.TimeoutNow && m.to === 3n));
  assert.equal(c.get(1).role, StateRole.Follower);
});

test('a learner catches up without voting, then is promoted to voter', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.propose(1, 'before');
  c.stabilize();
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: new Uint8Array(0) });
  c.processReady(1n);
  c.stabilize();
  c.tickAll(2);
  const learner = c.get(4);
  assert.deepEqual(learner.applied, ['before']);
  assert.equal(learner.raft.isLearner, true);
  // A learner never campaigns, however long it waits.
  c.isolate(4);
  c.tickAll(50);
  assert.equal(learner.role, StateRole.Follower);
  c.heal();
  c.tickAll(2);
  // Its acks do not count: with 2 and 3 gone, the leader cannot commit.
  c.partition([2, 3], [1, 4]);
  c.propose(1, 'needs quorum');
  c.stabilize();
  assert.deepEqual(learner.raft.raftLog.committed < learner.raft.raftLog.lastIndex(), true);
  c.heal();
  c.tickAll(2);
  // Promote it.
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4n, context: new Uint8Array(0) });
  c.processReady(1n);
  c.stabilize();
  c.tickAll(2);
  assert.equal(learner.raft.isLearner, false);
  assert.deepEqual(c.get(1).raft.prs.confState().voters, [1n, 2n, 3n, 4n]);
  // Now its ack counts: 1, 3 and 4 are a majority of the four voters without 2.
  c.partition([2], [1, 3, 4]);
  c.propose(1, 'promoted');
  c.stabilize();
  assert.deepEqual(learner.applied, ['before', 'needs quorum', 'promoted']);
});

test('removing the leader hands leadership over without waiting for an election timeout', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: new Uint8Array(0) });
  c.processReady(1n);
  c.stabilize();
  const l = c.leader();
  assert.ok(l && l.id !== 1n, 'a remaining voter leads');
  assert.equal(c.get(1).raft.removedSelf, true);
  assert.equal(c.get(1).raft.prs.isVoter(1n), false);
  c.propose(Number(l.id), 'without 1');
  c.stabilize();
  assert.deepEqual(c.appliedBy(Number(l.id)), ['without 1']);
});

test('a two-member cluster removes its leader and the survivor carries on alone', () => {
  const c = Cluster.start([1, 2]);
  c.campaign(1);
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: new Uint8Array(0) });
  c.processReady(1n);
  c.stabilize();
  c.crash(1); // the removed member shuts down
  c.tickAll(30);
  assert.equal(c.get(2).role, StateRole.Leader);
  assert.deepEqual(c.get(2).raft.prs.confState().voters, [2n]);
  c.propose(2, 'alone');
  c.stabilize();
  assert.deepEqual(c.appliedBy(2), ['alone']);
});

test('a two-member cluster removes its follower and the leader commits alone', () => {
  const c = Cluster.start([1, 2]);
  c.campaign(1);
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 2n, context: new Uint8Array(0) });
  c.processReady(1n);
  c.stabilize();
  c.crash(2);
  c.propose(1, 'solo');
  c.stabilize();
  assert.deepEqual(c.appliedBy(1), ['solo']);
});

test('only one membership change may be pending: a second becomes a no-op', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.isolate(1); // keep the first change uncommitted
  const raw = c.get(1).raw;
  raw.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: new Uint8Array(0) });
  raw.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5n, context: new Uint8Array(0) });
  const tail = c.get(1).raft.raftLog.allEntries().slice(-2);
  assert.equal(tail[0]!.type, EntryType.ConfChange);
  assert.equal(tail[1]!.type, EntryType.Normal);
  assert.equal(tail[1]!.data.length, 0);
});

test('ReadIndex: one heartbeat round confirms a whole batch of reads', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  const before = c.sent.length;
  const raw = c.get(1).raw;
  for (let i = 0; i < 5; i++) raw.readIndex(enc(`read-${i}`));
  c.processReady(1n);
  c.stabilize();
  const heartbeats = c.sent.slice(before).filter((m) => m.type === MessageType.Heartbeat);
  assert.equal(heartbeats.length, 2, 'one heartbeat per follower for five reads');
  const rs = c.get(1).readStates;
  assert.deepEqual(rs.map((r) => new TextDecoder().decode(r.requestCtx)), ['read-0', 'read-1', 'read-2', 'read-3', 'read-4']);
  for (const r of rs) assert.equal(r.index, c.get(1).raft.raftLog.committed);
  // A follower's read is forwarded to the leader and answered with the leader's commit.
  c.get(2).raw.readIndex(enc('from-2'));
  c.processReady(2n);
  c.stabilize();
  assert.equal(c.get(2).readStates.length, 1);
  assert.equal(c.get(2).readStates[0]!.index, c.get(1).raft.raftLog.committed);
});

test('ReadIndex is not answered by a leader that cannot reach a quorum', () => {
  const c = Cluster.start([1, 2, 3]);
  c.campaign(1);
  c.isolate(1);
  c.get(1).raw.readIndex(enc('stale?'));
  c.processReady(1n);
  c.tickAll(3);
  assert.equal(c.get(1).readStates.length, 0);
});

test('pre-vote: a partitioned member does not inflate its term, so it cannot disrupt on return', () => {
  const c = Cluster.start([1, 2, 3], [], { preVote: true, checkQuorum: true });
  c.campaign(1);
  const term = c.get(1).term;
  c.isolate(3);
  c.tickAll(100);
  assert.equal(c.get(3).term, term, 'pre-vote failed, so no term bump');
  c.heal();
  c.tickAll(3);
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(1).term, term);
});

test('check-quorum lease: followers ignore a vote request while they hear from a leader', () => {
  const c = Cluster.start([1, 2, 3], [], { checkQuorum: true });
  c.campaign(1);
  const term = c.get(1).term;
  // 3 campaigns on its own (as after a spurious timeout); 2 still hears from 1.
  c.get(3).raw.campaign();
  c.processReady(3n);
  c.stabilize();
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(2).term, term, 'the vote request was ignored');
});

test('restart: a member remembers its vote and its log (the persistence contract)', () => {
  const c = Cluster.start([1, 2, 3]);
  // 2 votes for 1 in term 2 but receives no entry; 3 never hears of term 2.
  c.partition([1], [3]);
  c.dropTypes.add(MessageType.App);
  c.campaign(1);
  assert.equal(c.get(1).role, StateRole.Leader);
  assert.equal(c.get(2).raft.vote, 1n);
  c.crash(1);
  c.crash(2);
  c.restart(2);
  assert.equal(c.get(2).raft.vote, 1n);
  assert.equal(c.get(2).term, 2);
  // 3 campaigns in term 2 with a log as good as 2's: only the remembered vote stops it.
  c.heal();
  c.crash(1);
  c.get(3).raw.campaign();
  c.processReady(3n);
  c.stabilize();
  assert.equal(c.get(3).term, 2);
  assert.notEqual(c.get(3).role, StateRole.Leader, 'two leaders in term 2 if the vote were forgotten');
});

test('two members: a removed leader that crashed mid-handover still passes on its log', () => {
  // The survivor (2) holds the removal entry but has not learned it committed, so it still
  // needs 1's vote; 1 holds an entry 2 lacks, so 1 refuses. 1 breaks the tie by campaigning
  // itself (only 2 can elect it), replicating, and handing leadership over.
  const c = Cluster.start([1, 2]);
  c.campaign(1);
  const removal = c.get(1).raft.raftLog.lastIndex() + 1;
  // 2 gets the removal entry, but neither the entry after it nor any commit index covering it.
  c.filter = (m) =>
    !(m.to === 2n &&
      ((m.type === MessageType.App && (m.commit >= removal || m.entries.some((e) => e.index > removal))) ||
        m.type === MessageType.Heartbeat || m.type === MessageType.TimeoutNow));
  c.get(1).raw.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: new Uint8Array(0) });
  c.propose(1, 'extra');
  assert.equal(c.get(1).raft.raftLog.lastIndex(), removal + 1);
  c.stabilize();
  assert.equal(c.get(1).raft.removedSelf, true, '1 applied its removal');
  assert.equal(c.get(2).raft.prs.isVoter(1n), true, '2 does not know yet');
  c.crash(1);
  c.restart(1);
  c.filter = null;
  for (let i = 0; i < 100 && c.get(2).role !== StateRole.Leader; i++) c.tickAll(1);
  assert.equal(c.get(2).role, StateRole.Leader);
  assert.deepEqual(c.get(2).raft.prs.confState().voters, [2n]);
  assert.deepEqual(c.appliedBy(2), ['extra']);
});
