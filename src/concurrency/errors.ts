// The recipes' own errors, with etcd's messages. etcd's Lock/Election servers return these as
// plain Go errors, which grpc-go sends as code UNKNOWN with the message; clients match on the text.
import { EtcdError, GrpcCode } from '../server/errors.js';

export const ConcurrencyErrors = {
  /** concurrency.ErrElectionNotLeader: the leader key is gone or was re-created. */
  notLeader: () => new EtcdError(GrpcCode.Unknown, 'election: not leader'),
  /** concurrency.ErrElectionNoLeader: nobody campaigns under this name. */
  noLeader: () => new EtcdError(GrpcCode.Unknown, 'election: no leader'),
  /** v3election.ErrMissingLeaderKey: Proclaim/Resign without a leader field. */
  missingLeaderKey: () => new EtcdError(GrpcCode.Unknown, '"leader" field must be provided'),
  /**
   * concurrency.ErrSessionExpired (etcd 3.5's Mutex): the caller's own key vanished while it
   * waited (its lease expired or was revoked), so it must not be told it holds the lock.
   */
  sessionExpired: () => new EtcdError(GrpcCode.Unknown, 'mutex: session is expired'),
  /** The caller went away (gRPC's context canceled). */
  canceled: () => new EtcdError(GrpcCode.Canceled, 'context canceled'),
};

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw ConcurrencyErrors.canceled();
}
