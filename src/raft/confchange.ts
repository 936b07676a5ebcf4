// Single-step membership changes: the new configuration differs from the old one by at
// most one voter, so every majority of the old overlaps every majority of the new and no
// joint consensus is needed. Pure function from ConfState to ConfState.

import { type ConfChange, ConfChangeType, type ConfState, type NodeId } from './types.js';
import { compareIds } from './tracker.js';

/**
 * The configuration after applying `cc` to `cs`.
 * - AddNode: adds a voter, or promotes a learner to voter.
 * - AddLearnerNode: adds a learner. Demoting a voter is refused (etcd has no demotion either).
 * - RemoveNode: removes a voter or learner; removing an unknown node is a no-op.
 * - UpdateNode: membership unchanged.
 * A change that would leave no voter is refused: the configuration stays as it was. Refusing
 * here (rather than throwing) keeps the apply path total and identical on every member.
 */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set<NodeId>(cs.voters);
  const learners = new Set<NodeId>(cs.learners);
  const id = cc.nodeId;
  switch (cc.type) {
    case ConfChangeType.AddNode:
      learners.delete(id);
      voters.add(id);
      break;
    case ConfChangeType.AddLearnerNode:
      if (!voters.has(id)) learners.add(id);
      break;
    case ConfChangeType.RemoveNode:
      voters.delete(id);
      learners.delete(id);
      break;
    case ConfChangeType.UpdateNode:
      break;
  }
  if (voters.size === 0) return { voters: [...cs.voters], learners: [...cs.learners] };
  return { voters: [...voters].sort(compareIds), learners: [...learners].sort(compareIds) };
}
