// Plain data types that cross the boundary of the Raft core. Everything here is a plain
// object (no classes, no hidden state) so the WAL, the peer transport and tests can
// build, copy and encode them freely. Numbering of enums follows etcd's raftpb so logs
// and codecs stay easy to compare with etcd.

/**
 * Member id. etcd member ids are 64-bit unsigned integers, which do not fit in a JS
 * number, so the core uses bigint throughout. 0n is reserved for "no node".
 */
export type NodeId = bigint;
export const NONE: NodeId = 0n;

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

/** One log entry. `data` is opaque bytes for the state machine (or an encoded ConfChange). */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** The state that must be durable before any message that depends on it is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export enum ConfChangeType {
  /** Add a voter, or promote an existing learner to voter. */
  AddNode = 0,
  RemoveNode = 1,
  /** Accepted for wire compatibility with etcd; a no-op on membership. */
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to raft (etcd puts the encoded Member here). */
  context: Uint8Array;
}

export enum MessageType {
  Hup = 0,
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  Unreachable = 10,
  SnapStatus = 11,
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

export const MESSAGE_TYPE_NAMES: readonly string[] = [
  'MsgHup', 'MsgBeat', 'MsgProp', 'MsgApp', 'MsgAppResp', 'MsgVote', 'MsgVoteResp', 'MsgSnap',
  'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgUnreachable', 'MsgSnapStatus', 'MsgCheckQuorum',
  'MsgTransferLeader', 'MsgTimeoutNow', 'MsgReadIndex', 'MsgReadIndexResp', 'MsgPreVote',
  'MsgPreVoteResp',
];

/**
 * A Raft message. Field meaning depends on the type, as in etcd:
 * - App: index/logTerm locate the entry preceding `entries`; commit is the leader's commit.
 * - AppResp: index is the follower's last matching index; on reject, rejectHint/logTerm
 *   point at where the leader should probe next (fast backtracking).
 * - Vote/PreVote: index/logTerm describe the candidate's last entry.
 * - Heartbeat/HeartbeatResp: context carries the ReadIndex batch id being confirmed.
 * - ReadIndex/ReadIndexResp: context is the caller's request id; index the read index.
 */
export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot: Snapshot | null;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array | null;
}

export enum StateRole {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

export const STATE_ROLE_NAMES: readonly string[] = ['Follower', 'Candidate', 'Leader', 'PreCandidate'];

/** Volatile state, useful for logging and for the server to know who leads. Never persisted. */
export interface SoftState {
  leader: NodeId;
  role: StateRole;
}

/** A confirmed ReadIndex: once the state machine has applied `index`, serve the read `requestCtx`. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: EMPTY_BYTES };
}

export function isEmptySnapshot(s: Snapshot | null): boolean {
  return s === null || s.metadata.index === 0;
}

/** Builds a message with every field defaulted, so call sites only name what matters. */
export function message(f: Partial<Message> & Pick<Message, 'type'>): Message {
  // Spelled out rather than spread: this runs for every message and spreading is slower.
  return {
    type: f.type,
    to: f.to ?? NONE,
    from: f.from ?? NONE,
    term: f.term ?? 0,
    logTerm: f.logTerm ?? 0,
    index: f.index ?? 0,
    entries: f.entries ?? [],
    commit: f.commit ?? 0,
    snapshot: f.snapshot ?? null,
    reject: f.reject ?? false,
    rejectHint: f.rejectHint ?? 0,
    context: f.context ?? null,
  };
}

/** Approximate encoded size of an entry, used for the max-message-size budget. */
export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

/** True for message types the local node generates for itself rather than receives over the wire. */
export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

/** True for responses: a node that is not (or no longer) a member may still send these. */
export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.PreVoteResp ||
    t === MessageType.ReadIndexResp
  );
}

export function voteResponseType(t: MessageType): MessageType {
  if (t === MessageType.Vote) return MessageType.VoteResp;
  if (t === MessageType.PreVote) return MessageType.PreVoteResp;
  throw new Error(`not a vote message: ${MESSAGE_TYPE_NAMES[t]}`);
}
