// ReadIndex bookkeeping on the leader. A read is safe to serve at index i once the leader
// has (a) committed an entry in its current term and (b) confirmed, after the read arrived,
// that it is still leader via a heartbeat round acknowledged by a quorum. Reads queue in
// arrival order; an ack for a later read's heartbeat confirms every earlier one too, so one
// heartbeat round can confirm a whole batch.

import type { Message, NodeId } from './types.js';

export interface ReadIndexStatus {
  /** The original MsgReadIndex (from = requester, or NONE/self for a local read). */
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

/** Map key for a request context (the bytes themselves; contexts are short ids). */
export function ctxKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Queues a read at the leader's current commit index. Duplicate contexts are ignored. */
  addRequest(index: number, m: Message): void {
    const key = ctxKey(m.context!);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat ack for the read batch `ctx`; returns who has acked it so far. */
  recvAck(id: NodeId, ctx: Uint8Array): Set<NodeId> | null {
    const rs = this.pending.get(ctxKey(ctx));
    if (!rs) return null;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Dequeues and returns every read up to and including `ctx`, now confirmed. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      out.push(this.pending.get(k)!);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest queued read: the id a heartbeat round carries. */
  lastPendingRequestCtx(): Uint8Array | null {
    if (this.queue.length === 0) return null;
    return this.pending.get(this.queue[this.queue.length - 1]!)!.req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
