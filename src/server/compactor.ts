// Auto compaction (--auto-compaction-mode / --auto-compaction-retention), with etcd's semantics:
//  - periodic: keep `period` of history. Every period/10 (at most 6 min) sample the revision; once
//    a full period has passed since the last success, compact to the revision sampled `period`
//    ago; after the first compaction, repeat every min(period, 1h).
//  - revision: every 5 minutes compact to (current revision - retention), if that moved.
// Compactions go through the normal Compact request (the log), like any client's.
import { Errors, EtcdError } from './errors.js';

export interface CompactorTarget {
  rev(): number;
  compact(rev: number): Promise<void>;
}

/** Time source, injectable so tests drive it without sleeping. */
export interface CompactorClock {
  now(): number; // ms
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const realClock: CompactorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface Compactor {
  stop(): void;
}

const HOUR = 3600_000;
const REVISION_INTERVAL = 5 * 60_000;

function isCompactedError(e: unknown): boolean {
  return e instanceof EtcdError && e.message === Errors.compacted().message;
}

export function startPeriodicCompactor(
  periodMs: number,
  target: CompactorTarget,
  clock: CompactorClock = realClock,
  onError: (e: unknown) => void = () => undefined,
): Compactor {
  const retryInterval = Math.min(periodMs, HOUR) / 10;
  const compactInterval = Math.min(periodMs, HOUR);
  const retentions = Math.floor(periodMs / retryInterval) + 1;
  const revs: number[] = [];
  let lastSuccess = clock.now();
  let baseInterval = periodMs;
  let timer: { cancel(): void } | null = null;
  let stopped = false;
  const loop = (): void => {
    revs.push(target.rev());
    if (revs.length > retentions) revs.shift(); // revs[0] is the revision one period ago
    timer = clock.setTimeout(() => void step(), retryInterval);
  };
  const step = async (): Promise<void> => {
    if (stopped) return;
    if (clock.now() - lastSuccess >= baseInterval) {
      if (baseInterval === periodMs) baseInterval = compactInterval;
      try {
        await target.compact(revs[0]!);
        lastSuccess = clock.now();
      } catch (e) {
        if (isCompactedError(e)) lastSuccess = clock.now();
        else onError(e);
      }
    }
    if (!stopped) loop();
  };
  loop();
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}

export function startRevisionCompactor(
  retention: number,
  target: CompactorTarget,
  clock: CompactorClock = realClock,
  onError: (e: unknown) => void = () => undefined,
): Compactor {
  let prev = 0;
  let stopped = false;
  let timer: { cancel(): void } | null = null;
  const step = async (): Promise<void> => {
    if (stopped) return;
    const rev = target.rev() - retention;
    if (rev > 0 && rev !== prev) {
      try {
        await target.compact(rev);
        prev = rev;
      } catch (e) {
        if (isCompactedError(e)) prev = rev;
        else onError(e);
      }
    }
    if (!stopped) timer = clock.setTimeout(() => void step(), REVISION_INTERVAL);
  };
  timer = clock.setTimeout(() => void step(), REVISION_INTERVAL);
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
