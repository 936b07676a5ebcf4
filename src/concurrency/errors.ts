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

/**
 * etcd's Lock and Election servers call the KV and Lease APIs through an in-process client, and
 * what they return reaches the caller as code UNKNOWN with the original message (e.g. "etcdserver:
 * requested lease not found" is UNKNOWN here, NOT_FOUND on the Lease service). Clients see the
 * same from us. A cancellation stays CANCELED.
 */
export async function asRecipeErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toRecipeError(e);
  }
}

export function toRecipeError(e: unknown): unknown {
  if (e instanceof EtcdError && e.code !== GrpcCode.Unknown && e.code !== GrpcCode.Canceled) return new EtcdError(GrpcCode.Unknown, e.message);
  return e;
}
