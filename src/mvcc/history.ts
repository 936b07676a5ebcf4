// Reading history back as events, for watchers that must catch up from an older revision
// (etcd's unsynced watchers): the rows of the key bucket ARE the event log, in revision order.
// A row becomes a PUT with its kv, a tombstone row a DELETE whose kv holds the key and the
// deletion's revision (etcd patches mod_revision in the same way so watchers do not skip it).

import type { Backend } from '../backend/backend.js';
import { Event_EventType, type Event } from '../gen/mvccpb/kv_pb.js';
import { decodeKv, toKeyValue } from './kv_codec.js';
import { isTombstoneRow, mainRevPrefix, revToBytes, rowMain } from './revision.js';

export interface HistoryOptions {
  /** Keep only events whose key passes (e.g. the keys some watcher watches). */
  filter?: (key: Uint8Array) => boolean;
  /** Stop after this many rows have been read (0 = no limit); the caller resumes after the last. */
  limit?: number;
}

/** Events of revisions fromRev <= main < toRev, in revision order. */
export function readEvents(backend: Backend, fromRev: number, toRev: number, opts: HistoryOptions = {}): Event[] {
  const events: Event[] = [];
  if (toRev <= fromRev) return events;
  const rows = backend.range('key', revToBytes(Math.max(fromRev, 0), 0), mainRevPrefix(toRev), { limit: opts.limit ?? 0 });
  for (const { key: row, value } of rows) {
    const kv = decodeKv(value);
    if (opts.filter !== undefined && !opts.filter(kv.key)) continue;
    if (isTombstoneRow(row)) {
      kv.modRevision = rowMain(row);
      events.push({ $typeName: 'mvccpb.Event', type: Event_EventType.DELETE, kv: toKeyValue(kv) });
    } else {
      events.push({ $typeName: 'mvccpb.Event', type: Event_EventType.PUT, kv: toKeyValue(kv) });
    }
  }
  return events;
}
