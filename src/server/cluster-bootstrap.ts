// Who this member is on its first start, worked out as etcd does:
// - a new cluster (--initial-cluster-state new): every member id is derived from its peer URLs and
//   the cluster token, the cluster id from all member ids; the founding log holds one AddNode per
//   member with the member's JSON as context;
// - joining (--initial-cluster-state existing): ask the running members (GET /members on their peer
//   URLs) for the cluster id and our own id (the member whose peer URLs are ours, added beforehand
//   with MemberAdd); the log starts empty and the leader fills it.
import { canonicalUrl, clusterId as deriveClusterId, memberId as deriveMemberId } from './ids.js';
import { type MemberInfo, decodeMemberJson, encodeMemberJson } from './membership.js';
import { peerRequest } from '../peer/transport.js';
import { splitJsonObjects } from './json-objects.js';
import type { SecureClientSessionOptions } from 'node:http2';

export interface BootstrapInput {
  name: string;
  peerUrls: string[];
  token: string;
  /** --initial-cluster: name → peer URLs. */
  initialCluster: ReadonlyMap<string, readonly string[]>;
  state: 'new' | 'existing';
  /** Peer TLS client options, to ask https:// members. */
  peerTls?: SecureClientSessionOptions;
}

export interface BootstrapPlan {
  memberId: bigint;
  clusterId: bigint;
  /** For a new cluster: the founding voters and their conf-change contexts. */
  founders?: Array<{ id: bigint; context: Uint8Array }>;
  /** For a joining member: the cluster's members as a running member listed them. */
  existingMembers?: MemberInfo[];
}

export class BootstrapError extends Error {}

export async function planBootstrap(b: BootstrapInput): Promise<BootstrapPlan> {
  const memberId = deriveMemberId(b.peerUrls, b.token);
  if (b.state === 'new') {
    const founders: Array<{ id: bigint; context: Uint8Array }> = [];
    for (const [name, urls] of b.initialCluster) {
      const peerURLs = urls.map(canonicalUrl);
      const id = deriveMemberId(peerURLs, b.token);
      const info: MemberInfo = { id, name, peerURLs, clientURLs: [], isLearner: false };
      founders.push({ id, context: Buffer.from(encodeMemberJson(info), 'utf8') });
    }
    if (!founders.some((f) => f.id === memberId)) {
      throw new BootstrapError(`couldn't find local name "${b.name}" in the initial cluster configuration`);
    }
    return { memberId, clusterId: deriveClusterId(founders.map((f) => f.id)), founders };
  }
  // Joining: any reachable member tells us the cluster as it is now.
  const mine = new Set(b.peerUrls.map(canonicalUrl));
  const errors: string[] = [];
  for (const [name, urls] of b.initialCluster) {
    for (const u of urls) {
      if (mine.has(canonicalUrl(u))) continue;
      try {
        const r = await peerRequest(u, 'GET', '/members', null, 2000, {}, b.peerTls);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        const cid = String(r.headers['x-etcd-cluster-id'] ?? '');
        const members = parseMemberList(r.body.toString('utf8'));
        const self = members.find((m) => m.peerURLs.map(canonicalUrl).some((p) => mine.has(p)));
        if (self === undefined) {
          throw new BootstrapError(
            `member with peer URLs ${[...mine].join(',')} is not in the cluster ${cid}: add it first (etcdctl member add ${b.name} --peer-urls=...)`,
          );
        }
        return { memberId: self.id, clusterId: BigInt('0x' + cid), existingMembers: members };
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        errors.push(`${name} ${u}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  throw new BootstrapError(`cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs (${errors.join('; ')})`);
}

/** GET /members' body: a JSON array of etcd member objects (uint64 ids as raw numbers). */
export function parseMemberList(text: string): MemberInfo[] {
  const t = text.trim();
  if (!t.startsWith('[')) throw new Error('malformed member list');
  return splitJsonObjects(t).map(decodeMemberJson);
}

export function encodeMemberList(ms: readonly MemberInfo[]): string {
  return `[${ms.map(encodeMemberJson).join(',')}]\n`;
}
