// The rows shared by the simple and table printers (etcdctl's make*Table helpers).
import type { MemberListResponse } from '../../../gen/etcdserverpb/rpc_pb.js';
import { hexId, humanizeBytes, must } from './gofmt.js';
import type { EpHashKV, EpHealth, EpStatus } from './printer.js';

export const MEMBER_LIST_HEADER = ['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'];

export function memberListRows(r: MemberListResponse): string[][] {
  return r.members.map((m) => [
    hexId(m.ID),
    m.name.length === 0 ? 'unstarted' : 'started',
    m.name,
    m.peerURLs.join(','),
    m.clientURLs.join(','),
    m.isLearner ? 'true' : 'false',
  ]);
}

export const ENDPOINT_HEALTH_HEADER = ['endpoint', 'health', 'took', 'error'];

export function endpointHealthRows(hs: EpHealth[]): string[][] {
  return hs.map((h) => [h.ep, h.health ? 'true' : 'false', h.took, h.error]);
}

export const ENDPOINT_STATUS_HEADER = ['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term',
  'raft index', 'raft applied index', 'errors'];

export function endpointStatusRows(ss: EpStatus[]): string[][] {
  return ss.map((s) => {
    const h = must(s.resp.header);
    return [
      s.ep,
      hexId(h.memberId),
      s.resp.version,
      humanizeBytes(s.resp.dbSize < 0n ? BigInt.asUintN(64, s.resp.dbSize) : s.resp.dbSize),
      s.resp.leader === h.memberId ? 'true' : 'false',
      s.resp.isLearner ? 'true' : 'false',
      s.resp.raftTerm.toString(),
      s.resp.raftIndex.toString(),
      s.resp.raftAppliedIndex.toString(),
      s.resp.errors.join(', '),
    ];
  });
}

export const HASHKV_HEADER = ['endpoint', 'hash'];

export function hashKVRows(hs: EpHashKV[]): string[][] {
  return hs.map((h) => [h.ep, h.resp.hash.toString()]);
}
