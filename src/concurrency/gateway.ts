// JSON gateway routes of the Lock and Election services (etcd's grpc-gateway paths), in the shape
// of src/api/gateway.ts's ROUTES: request schema, response schema, call. The optional signal lets
// the gateway cancel a waiting lock/campaign when the HTTP client disconnects.
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import {
  CampaignRequestSchema,
  CampaignResponseSchema,
  LeaderRequestSchema,
  LeaderResponseSchema,
  type LeaderResponse,
  ProclaimRequestSchema,
  ProclaimResponseSchema,
  ResignRequestSchema,
  ResignResponseSchema,
} from '../gen/v3electionpb/v3election_pb.js';
import { LockRequestSchema, LockResponseSchema, UnlockRequestSchema, UnlockResponseSchema } from '../gen/v3lockpb/v3lock_pb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { campaign, leader, observe, proclaim, resign } from './election.js';
import { lock, unlock } from './lock.js';

export interface ConcurrencyRoute {
  req: DescMessage;
  res: DescMessage;
  call: (server: EtcdServer, req: never, signal?: AbortSignal) => Promise<unknown>;
}

function route<I extends DescMessage, O extends DescMessage>(
  req: I,
  res: O,
  call: (server: EtcdServer, r: MessageShape<I>, signal?: AbortSignal) => Promise<MessageShape<O>>,
): ConcurrencyRoute {
  return { req, res, call: call as ConcurrencyRoute['call'] };
}

export const concurrencyGatewayRoutes: Record<string, ConcurrencyRoute> = {
  '/v3/lock/lock': route(LockRequestSchema, LockResponseSchema, (s, r, signal) => lock(s, r, signal)),
  '/v3/lock/unlock': route(UnlockRequestSchema, UnlockResponseSchema, (s, r) => unlock(s, r)),
  '/v3/election/campaign': route(CampaignRequestSchema, CampaignResponseSchema, (s, r, signal) => campaign(s, r, signal)),
  '/v3/election/proclaim': route(ProclaimRequestSchema, ProclaimResponseSchema, (s, r) => proclaim(s, r)),
  '/v3/election/leader': route(LeaderRequestSchema, LeaderResponseSchema, (s, r) => leader(s, r)),
  '/v3/election/resign': route(ResignRequestSchema, ResignResponseSchema, (s, r) => resign(s, r)),
};

/**
 * Server-streaming gateway routes: grpc-gateway writes each response of the stream as one line
 * `{"result": <response JSON>}`. `stream` sends every response through `send` and resolves when
 * the signal aborts (the HTTP client went away).
 */
export interface ConcurrencyStreamRoute {
  req: DescMessage;
  res: DescMessage;
  stream: (server: EtcdServer, req: never, signal: AbortSignal, send: (resp: unknown) => void) => Promise<void>;
}

export const concurrencyGatewayStreams: Record<string, ConcurrencyStreamRoute> = {
  '/v3/election/observe': {
    req: LeaderRequestSchema,
    res: LeaderResponseSchema,
    stream: (s, r: MessageShape<typeof LeaderRequestSchema>, signal, send: (resp: LeaderResponse) => void) => observe(s, r.name, signal, send),
  },
};
