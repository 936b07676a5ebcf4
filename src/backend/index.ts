export { Backend, ErrDefragBusy, DEFAULT_HASH_IGNORES, backendExists } from './backend.js';
export type { BackendOptions, ConsistentIndex, RangeOptions, Row } from './backend.js';
export { BUCKETS, type Bucket } from './buckets.js';
export { crc32c, crc32cUpdate } from './crc32c.js';
