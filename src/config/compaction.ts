/** --auto-compaction-mode and --auto-compaction-retention. */
import { invalidConfig } from './errors.js';
import { parseGoDuration } from './goparse.js';
import type { AutoCompaction } from './types.js';

/**
 * etcd's parseCompactionRetention: a plain non-negative integer is hours in periodic mode and
 * revisions in revision mode; anything else must be a Go duration (periodic mode only — etcd
 * would read "5m" in revision mode as 300000000000 revisions, which we refuse).
 */
export function resolveAutoCompaction(mode: string, retention: string): AutoCompaction {
  const text = retention === '' ? '0' : retention;
  const isCount = /^[+-]?\d+$/.test(text) && Number(text) >= 0;
  if (mode === 'revision') {
    if (!isCount) {
      throw invalidConfig(`--auto-compaction-retention ${JSON.stringify(retention)} must be a number of revisions in revision mode`);
    }
    return { mode: 'revision', retention: text, revisions: Number(text) };
  }
  let periodMs: number;
  if (isCount) {
    periodMs = Number(text) * 3_600_000;
  } else {
    try {
      periodMs = parseGoDuration(text);
    } catch {
      throw invalidConfig(`error parsing CompactionRetention: time: invalid duration ${JSON.stringify(text)}`);
    }
    if (periodMs < 0) throw invalidConfig(`--auto-compaction-retention ${JSON.stringify(retention)} must not be negative`);
  }
  // etcd rejects an empty mode only once compaction is actually enabled.
  if (mode === '' && periodMs !== 0) throw invalidConfig('unsupported compaction mode ');
  return { mode: 'periodic', retention: text, periodMs };
}
