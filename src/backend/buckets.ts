// The named databases of the backend, one per etcd bbolt bucket, with etcd's exact names so that
// a bbolt snapshot export/import can map bucket <-> database one to one.

export const BUCKETS = [
  'key',
  'meta',
  'lease',
  'members',
  'members_removed',
  'auth',
  'authUsers',
  'authRoles',
  'alarm',
  'cluster',
] as const;

export type Bucket = (typeof BUCKETS)[number];

/** Keys of the meta bucket, spelled as etcd spells them. */
export const META_CONSISTENT_INDEX = Buffer.from('consistent_index', 'latin1');
export const META_TERM = Buffer.from('term', 'latin1');
export const META_SCHEDULED_COMPACT_REV = Buffer.from('scheduledCompactRev', 'latin1');
export const META_FINISHED_COMPACT_REV = Buffer.from('finishedCompactRev', 'latin1');
