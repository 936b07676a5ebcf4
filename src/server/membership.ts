// The cluster's membership as the state machine knows it: who the members are (id, name, peer and
// client URLs, learner or voter) and which ids were removed. It changes only through the apply
// path (committed conf-change entries and attribute updates), is persisted in the backend's
// `members` / `members_removed` buckets in the same transaction as the entry that changed it, and
// is rebuilt from there on restart. Rows use etcd's layout: key = hex member id, value = the
// member's JSON as etcd marshals it ({"id":<uint64>,"peerURLs":[..],"name":..,"clientURLs":[..]}).
import type { Backend } from '../backend/backend.js';

export interface MemberInfo {
  id: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

const REMOVED_VALUE = Buffer.from('removed', 'latin1');

/**
 * etcd's member JSON. The id is a uint64 that a JS number cannot hold, so it is written and read
 * as raw digits rather than through JSON.parse's doubles.
 */
export function encodeMemberJson(m: MemberInfo): string {
  const rest = JSON.stringify({
    peerURLs: m.peerURLs,
    ...(m.isLearner ? { isLearner: true } : {}),
    ...(m.name !== '' ? { name: m.name } : {}),
    ...(m.clientURLs.length > 0 ? { clientURLs: m.clientURLs } : {}),
  });
  return `{"id":${m.id.toString(10)},${rest.slice(1)}`;
}

export function decodeMemberJson(text: string): MemberInfo {
  const idMatch = /"id"\s*:\s*(\d+)/.exec(text);
  if (idMatch === null) throw new Error(`member record without an id: ${text.slice(0, 200)}`);
  const o = JSON.parse(text) as { peerURLs?: unknown; name?: unknown; clientURLs?: unknown; isLearner?: unknown };
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    id: BigInt(idMatch[1]!),
    name: typeof o.name === 'string' ? o.name : '',
    peerURLs: strings(o.peerURLs),
    clientURLs: strings(o.clientURLs),
    isLearner: o.isLearner === true,
  };
}

const hexKey = (id: bigint): Buffer => Buffer.from(id.toString(16), 'latin1');

export class Membership {
  private readonly members = new Map<bigint, MemberInfo>();
  private readonly removed = new Set<bigint>();
  private readonly listeners: Array<(m: Membership) => void> = [];

  private constructor(private readonly backend: Backend) {}

  static load(backend: Backend): Membership {
    const ms = new Membership(backend);
    ms.readRows();
    return ms;
  }

  /** Reloads from the backend (after a snapshot from the leader replaced its contents). */
  reload(): void {
    this.readRows();
    this.changed();
  }

  private readRows(): void {
    this.members.clear();
    this.removed.clear();
    for (const row of this.backend.range('members')) {
      const m = decodeMemberJson(Buffer.from(row.value).toString('utf8'));
      this.members.set(m.id, m);
    }
    for (const row of this.backend.range('members_removed')) {
      this.removed.add(BigInt('0x' + Buffer.from(row.key).toString('latin1')));
    }
  }

  /** Called after every change (the transport follows peer URLs through this). */
  onChange(f: (m: Membership) => void): void {
    this.listeners.push(f);
  }

  get(id: bigint): MemberInfo | undefined {
    return this.members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Members sorted by id, as etcd lists them. */
  list(): MemberInfo[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.members.size;
  }

  voters(): MemberInfo[] {
    return this.list().filter((m) => !m.isLearner);
  }

  // ------------------------------------------------ changes (apply path only, inside a batch)

  add(m: MemberInfo): void {
    // A re-applied add (replay after a crash) keeps attributes already published.
    const prev = this.members.get(m.id);
    const next = prev ? { ...prev, peerURLs: m.peerURLs, isLearner: m.isLearner } : { ...m };
    if (next.name === '' && m.name !== '') next.name = m.name;
    this.save(next);
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
    this.backend.delete('members', hexKey(id));
    this.backend.put('members_removed', hexKey(id), REMOVED_VALUE);
    this.changed();
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, isLearner: false });
  }

  updatePeerUrls(id: bigint, peerURLs: string[]): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, peerURLs });
  }

  setAttributes(id: bigint, name: string, clientURLs: string[]): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, name, clientURLs });
  }

  private save(m: MemberInfo): void {
    this.members.set(m.id, m);
    this.backend.put('members', hexKey(m.id), Buffer.from(encodeMemberJson(m), 'utf8'));
    this.changed();
  }

  private changed(): void {
    for (const f of this.listeners) f(this);
  }
}
