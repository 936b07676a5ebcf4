// The printer interface: one method per kind of result etcdctl prints, one implementation per
// --write-out format (simple, json, fields, table, protobuf), as in etcdctl's printer*.go.
import type {
  AlarmResponse, DeleteRangeResponse, HashKVResponse, LeaseGrantResponse, LeaseKeepAliveResponse,
  LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse, MemberListResponse, PutResponse,
  RangeResponse, StatusResponse, TxnResponse,
} from '../../../gen/etcdserverpb/rpc_pb.js';
import { ExitBadFeature, exitWithError } from '../exit.js';

export interface EpHealth {
  ep: string;
  health: boolean;
  /** Go duration text, e.g. "1.480757ms" */
  took: string;
  error: string;
}

export interface EpStatus {
  ep: string;
  resp: StatusResponse;
}

export interface EpHashKV {
  ep: string;
  resp: HashKVResponse;
}

export interface Printer {
  del(r: DeleteRangeResponse): void;
  get(r: RangeResponse): void;
  put(r: PutResponse): void;
  txn(r: TxnResponse): void;
  memberList(r: MemberListResponse): void;
  endpointHealth(hs: EpHealth[]): void;
  endpointStatus(ss: EpStatus[]): void;
  endpointHashKV(hs: EpHashKV[]): void;
  alarm(r: AlarmResponse): void;
  grant(r: LeaseGrantResponse): void;
  revoke(id: bigint, r: LeaseRevokeResponse): void;
  keepAlive(r: LeaseKeepAliveResponse): void;
  timeToLive(r: LeaseTimeToLiveResponse, keys: boolean): void;
  leases(r: LeaseLeasesResponse): void;
}

/** What a format cannot print ends the command with ExitBadFeature, after the RPC ran (as in etcdctl). */
export function unsupported(format: string): never {
  return exitWithError(ExitBadFeature, `${format} not supported as output format`);
}

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table' | 'protobuf';

export function isOutputFormat(s: string): s is OutputFormat {
  return s === 'simple' || s === 'json' || s === 'fields' || s === 'table' || s === 'protobuf';
}
