// The life of a small cluster as a transcript of the messages it exchanges, in the spirit
// of etcd-io/raft's interaction tests: an election, a write, and a linearizable read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Message, MESSAGE_TYPE_NAMES, MessageType } from '../../src/raft/index.js';
import { Cluster } from './helpers/cluster.js';

function describe(m: Message): string {
  const parts = [`${m.from}->${m.to} ${MESSAGE_TYPE_NAMES[m.type]} term=${m.term}`];
  if (m.type === MessageType.Vote || m.type === MessageType.PreVote) parts.push(`last=${m.index}@${m.logTerm}`);
  if (m.type === MessageType.App) parts.push(`prev=${m.index}@${m.logTerm} entries=[${m.entries.map((e) => `${e.index}@${e.term}`).join(' ')}] commit=${m.commit}`);
  if (m.type === MessageType.AppResp) parts.push(`index=${m.index}${m.reject ? ` reject hint=${m.rejectHint}` : ''}`);
  if (m.type === MessageType.Heartbeat) parts.push(`commit=${m.commit}`);
  if (m.context !== null && m.context.length > 0) parts.push(`ctx=${new TextDecoder().decode(m.context)}`);
  if (m.reject && m.type !== MessageType.AppResp) parts.push('reject');
  return parts.join(' ');
}

test('transcript: pre-vote, election, replication of a write, a batched read', () => {
  const c = Cluster.start([1, 2, 3], [], { preVote: true, checkQuorum: true });
  const from = c.sent.length;
  c.campaign(1);
  c.propose(1, 'hello');
  c.stabilize();
  c.get(1).raw.readIndex(new TextEncoder().encode('read-1'));
  c.processReady(1n);
  c.stabilize();
  assert.deepEqual(c.sent.slice(from).map(describe), [
    // Pre-vote for term 2 without bumping anyone's term, then the real vote.
    '1->2 MsgPreVote term=2 last=3@1',
    '1->3 MsgPreVote term=2 last=3@1',
    '2->1 MsgPreVoteResp term=2',
    '3->1 MsgPreVoteResp term=2',
    '1->2 MsgVote term=2 last=3@1',
    '1->3 MsgVote term=2 last=3@1',
    '2->1 MsgVoteResp term=2',
    '3->1 MsgVoteResp term=2',
    // The new leader appends an empty entry of its term (index 4) after the bootstrap log.
    '1->2 MsgApp term=2 prev=3@1 entries=[4@2] commit=3',
    '1->3 MsgApp term=2 prev=3@1 entries=[4@2] commit=3',
    '2->1 MsgAppResp term=2 index=4',
    '3->1 MsgAppResp term=2 index=4',
    // Its own durable copy plus the first ack make a quorum: commit 4 goes out.
    '1->2 MsgApp term=2 prev=4@2 entries=[] commit=4',
    '1->3 MsgApp term=2 prev=4@2 entries=[] commit=4',
    '2->1 MsgAppResp term=2 index=4',
    '3->1 MsgAppResp term=2 index=4',
    // The write, index 5, replicated and committed the same way.
    '1->2 MsgApp term=2 prev=4@2 entries=[5@2] commit=4',
    '1->3 MsgApp term=2 prev=4@2 entries=[5@2] commit=4',
    '2->1 MsgAppResp term=2 index=5',
    '3->1 MsgAppResp term=2 index=5',
    '1->2 MsgApp term=2 prev=5@2 entries=[] commit=5',
    '1->3 MsgApp term=2 prev=5@2 entries=[] commit=5',
    '2->1 MsgAppResp term=2 index=5',
    '3->1 MsgAppResp term=2 index=5',
    // The read: one heartbeat round carrying its id confirms leadership.
    '1->2 MsgHeartbeat term=2 commit=5 ctx=read-1',
    '1->3 MsgHeartbeat term=2 commit=5 ctx=read-1',
    '2->1 MsgHeartbeatResp term=2 ctx=read-1',
    '3->1 MsgHeartbeatResp term=2 ctx=read-1',
  ]);
  assert.deepEqual(c.get(1).readStates.map((r) => r.index), [5]);
  for (const id of [1, 2, 3]) assert.deepEqual(c.appliedBy(id), ['hello']);
});
