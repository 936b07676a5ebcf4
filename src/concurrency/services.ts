// The Lock and Election gRPC services: thin adapters from requests to the recipes. Lock and
// Campaign take the call's AbortSignal (the transport aborts it when the client cancels or goes
// away) so that a waiting Lock/Campaign leaves no key behind. Observe is server-streaming.
import {
  type CampaignRequest,
  Election,
  type LeaderRequest,
  type LeaderResponse,
  type ProclaimRequest,
  type ResignRequest,
} from '../gen/v3electionpb/v3election_pb.js';
import { Lock, type LockRequest, type UnlockRequest } from '../gen/v3lockpb/v3lock_pb.js';
import type { ServiceImpl } from '../api/grpc-server.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { campaign, leader, observe, proclaim, resign } from './election.js';
import { lock, unlock } from './lock.js';

export function concurrencyServices(server: EtcdServer): ServiceImpl[] {
  return [
    {
      service: Lock,
      methods: {
        lock: (r: LockRequest, signal?: AbortSignal) => lock(server, r, signal),
        unlock: (r: UnlockRequest) => unlock(server, r),
      },
    },
    {
      service: Election,
      methods: {
        campaign: (r: CampaignRequest, signal?: AbortSignal) => campaign(server, r, signal),
        proclaim: (r: ProclaimRequest) => proclaim(server, r),
        leader: (r: LeaderRequest) => leader(server, r),
        resign: (r: ResignRequest) => resign(server, r),
        observe: observeStream(server),
      },
    },
  ];
}

/** A server-streaming call as the recipes need it: transport-free. */
export interface ServerStreamCall<O> {
  /** Queues a response (the transport buffers; leader changes are rare). */
  send(msg: O): void;
  /** Aborted when the client cancels or goes away. */
  readonly signal: AbortSignal;
}

/** A server-streaming implementation: resolves to end the stream OK, rejects to end it with an error. */
export interface ServerStreamImpl<I, O> {
  serverStream: (req: I, call: ServerStreamCall<O>) => Promise<void>;
}

/** Election.Observe: streams the leader's kv each time it changes, until the call is cancelled. */
export function observeStream(server: EtcdServer): ServerStreamImpl<LeaderRequest, LeaderResponse> {
  return { serverStream: (req, call) => observe(server, req.name, call.signal, (resp) => call.send(resp)) };
}
