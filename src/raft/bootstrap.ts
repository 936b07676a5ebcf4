// Starting a brand-new cluster. As in etcd, the initial membership is written into the log
// itself, as committed ConfChange entries at term 1, rather than only into a config. A
// member that joins later and replays the log from index 1 then learns about every
// founding member, exactly as the founders did.

import { ConfChangeType, type Entry, EntryType, type HardState, type NodeId, NONE } from './types.js';
import { encodeConfChange } from './codec.js';

export interface BootstrapLog {
  /** Entries to persist before creating the RawNode (they are already committed). */
  entries: Entry[];
  hardState: HardState;
}

/**
 * The log every founding member persists on first start: one AddNode per voter, then one
 * AddLearnerNode per learner, all committed. The first Ready hands them to the application
 * as committed entries; applying them (applyConfChange) sets up the membership.
 */
export function bootstrapLog(voters: NodeId[], learners: NodeId[] = []): BootstrapLog {
  if (voters.length === 0) throw new RangeError('must bootstrap with at least one voter');
  const entries: Entry[] = [];
  const add = (type: ConfChangeType, nodeId: NodeId): void => {
    entries.push({
      term: 1,
      index: entries.length + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type, nodeId, context: new Uint8Array(0) }),
    });
  };
  for (const id of voters) add(ConfChangeType.AddNode, id);
  for (const id of learners) add(ConfChangeType.AddLearnerNode, id);
  return { entries, hardState: { term: 1, vote: NONE, commit: entries.length } };
}
