// The simulated network between members: every message gets a random delay (so messages
// reorder), may be lost or duplicated, and may be blocked by a partition (symmetric or
// one-way). Delivery order is fully determined by (deliverAt, sequence number).

import type { Message, NodeId } from '../../../src/raft/index.js';
import { Sfc32 } from '../../../src/raft/index.js';

export interface InFlight {
  deliverAt: number;
  seq: number;
  msg: Message;
}

export interface NetworkFaults {
  /** Probability that a message is dropped. */
  loss: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Maximum extra delay in time units (minimum delay is 1). */
  maxDelay: number;
  /**
   * Probability that a message may overtake earlier ones on the same link. Otherwise links
   * are FIFO, like the TCP streams etcd's transport uses; reordering is the exception.
   */
  reorder: number;
}

export class Network {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Directed links that drop everything (see link()). */
  private blocked = new Set<number>();
  faults: NetworkFaults;
  sent = 0;
  dropped = 0;

  constructor(private readonly rng: Sfc32, faults: NetworkFaults) {
    this.faults = faults;
  }

  /** A number naming the directed link; simulated ids are small (< 2^20). */
  private static link(from: NodeId, to: NodeId): number {
    return Number(from) * 0x100000 + Number(to);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(Network.link(from, to));
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(Network.link(from, to));
  }

  /** Cuts every link between group a and group b, both ways. */
  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  partitionCount(): number {
    return this.blocked.size;
  }

  /** Queues a message; returns false if the network dropped it at once. */
  send(now: number, msg: Message): boolean {
    this.sent++;
    if (this.isBlocked(msg.from, msg.to) || (this.faults.loss > 0 && this.rng.chance(this.faults.loss))) {
      this.dropped++;
      return false;
    }
    this.enqueue(now, msg);
    if (this.faults.duplicate > 0 && this.rng.chance(this.faults.duplicate)) this.enqueue(now, msg);
    return true;
  }

  /** Latest delivery time scheduled per link, to keep links FIFO. */
  private linkTail = new Map<number, number>();

  private enqueue(now: number, msg: Message): void {
    const delay = 1 + (this.faults.maxDelay > 0 ? this.rng.intn(this.faults.maxDelay + 1) : 0);
    let at = now + delay;
    const link = Network.link(msg.from, msg.to);
    if (!(this.faults.reorder > 0 && this.rng.chance(this.faults.reorder))) {
      at = Math.max(at, this.linkTail.get(link) ?? 0);
      this.linkTail.set(link, at);
    }
    this.queue.push({ deliverAt: at, seq: this.seq++, msg });
  }

  /** Removes and returns the messages due at or before `now`, in delivery order. */
  takeDue(now: number): InFlight[] {
    if (this.queue.length === 0) return [];
    const due: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.queue) (f.deliverAt <= now ? due : rest).push(f);
    if (due.length === 0) return due;
    this.queue = rest;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
    return due;
  }

  /** Drops everything in flight to `id` (it crashed: its sockets are gone) and returns it. */
  dropTo(id: NodeId): Message[] {
    const lost = this.queue.filter((f) => f.msg.to === id).map((f) => f.msg);
    this.queue = this.queue.filter((f) => f.msg.to !== id);
    return lost;
  }

  inFlight(): number {
    return this.queue.length;
  }
}
