// The lease package: the lessor and what its callers need.
export {
  Lessor,
  MAX_LEASE_TTL,
  MAX_CHECKPOINT_BATCH,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_EXPIRED_RETRY_MS,
  DEFAULT_REVOKE_RATE,
  minLeaseTtl,
  type Checkpoint,
  type KeyLeaseSource,
  type LeaseInfo,
  type LeaseMetrics,
  type LessorOptions,
  type TimeToLive,
} from './lessor.js';
export { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, NotPrimaryError } from './errors.js';
export { ManualClock, monotonicClock, type Clock } from './clock.js';
export { generateLeaseId, cryptoRandom64, type RandomSource } from './ids.js';
export { decodeLeaseRow, encodeLeaseRow, leaseIdFromKey, leaseKey, type LeaseRow } from './codec.js';
