export { WatchHub, Watcher, type WatchSink, type WatchOptions, type HubOptions, type HubStats, type WatcherState } from './hub.js';
export {
  WatchStream,
  type WatchStreamOptions,
  type IntervalClock,
  INVALID_WATCH_ID,
  AUTO_WATCH_ID,
  DEFAULT_PROGRESS_INTERVAL_MS,
  ERR_EMPTY_WATCHER_RANGE,
  ERR_DUPLICATE_WATCH_ID,
} from './stream.js';
export { toKeyRange, keyString, rangeContains, KEY_INFINITY, type KeyRange } from './key_range.js';
export { fragmentResponse } from './fragment.js';
export type { EventFilters } from './events.js';
