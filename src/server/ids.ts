// Member and cluster IDs derived exactly as etcd derives them, so a tsetcd member bootstrapped with
// the same --initial-cluster and --initial-cluster-token gets the same IDs as an etcd member would.
import { createHash } from 'node:crypto';

/** etcd prints URLs with Go's url.String(): no trailing slash for an empty path. */
export function canonicalUrl(u: string): string {
  const parsed = new URL(u);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** sha1(sorted peer URLs ++ cluster token [++ unix seconds]) → first 8 bytes, big-endian. */
export function memberId(peerUrls: readonly string[], clusterToken: string, nowUnixSeconds?: number): bigint {
  const sorted = peerUrls.map(canonicalUrl).sort();
  const h = createHash('sha1');
  for (const p of sorted) h.update(p);
  h.update(clusterToken);
  if (nowUnixSeconds !== undefined) h.update(String(nowUnixSeconds));
  return h.digest().readBigUInt64BE(0);
}

/** sha1 of the sorted member IDs as 8-byte big-endian words → first 8 bytes. */
export function clusterId(memberIds: readonly bigint[]): bigint {
  const ids = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(buf).digest().readBigUInt64BE(0);
}

export function idToHex(id: bigint): string {
  return id.toString(16);
}
