// A WatchStream on a test hub, with a transport that records responses and can be made to push
// back (send returns false) like a gRPC stream whose client does not read.

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ResponseHeaderSchema,
  WatchCreateRequestSchema,
  WatchRequestSchema,
  type WatchRequest,
  type WatchResponse,
} from '../../src/gen/etcdserverpb/rpc_pb.js';
import { WatchStream, type IntervalClock, type WatchStreamOptions } from '../../src/watch/stream.js';
import { fmt, type WatchEnv } from './helpers.js';

export function createReq(init: MessageInitShape<typeof WatchCreateRequestSchema>): WatchRequest {
  return create(WatchRequestSchema, { requestUnion: { case: 'createRequest', value: create(WatchCreateRequestSchema, init) } });
}

export function cancelReq(watchId: bigint): WatchRequest {
  return create(WatchRequestSchema, { requestUnion: { case: 'cancelRequest', value: { watchId } } });
}

export function progressReq(): WatchRequest {
  return create(WatchRequestSchema, { requestUnion: { case: 'progressRequest', value: {} } });
}

/** A clock whose interval callbacks run only when the test says so. */
export class ManualClock implements IntervalClock {
  private fns = new Map<number, () => void>();
  private next = 1;
  setInterval(fn: () => void): unknown {
    const h = this.next++;
    this.fns.set(h, fn);
    return h;
  }
  clearInterval(h: unknown): void {
    this.fns.delete(h as number);
  }
  fire(): void {
    for (const fn of [...this.fns.values()]) fn();
  }
  get active(): number {
    return this.fns.size;
  }
}

export interface Harness {
  stream: WatchStream;
  sent: WatchResponse[];
  clock: ManualClock;
  /** false: send() answers false (transport full) and the stream must queue. */
  writable: boolean;
}

export function openStream(env: WatchEnv, opts: Partial<WatchStreamOptions> = {}): Harness {
  const h: Harness = { sent: [], clock: new ManualClock(), writable: true, stream: undefined as unknown as WatchStream };
  h.stream = new WatchStream(env.hub, {
    send: (r) => {
      h.sent.push(r);
      return h.writable;
    },
    header: () => create(ResponseHeaderSchema, { clusterId: 11n, memberId: 22n, raftTerm: 3n }),
    maxRequestBytes: 1.5 * 1024 * 1024 + 512 * 1024,
    clock: h.clock,
    progressIntervalMs: 1000,
    random: () => 0,
    ...opts,
  });
  return h;
}

/** A response in one line: "id=0 rev=5 created canceled compact=3 [PUT a=1@5, ...]". */
export function line(r: WatchResponse): string {
  const parts = [`id=${r.watchId}`, `rev=${r.header?.revision ?? '-'}`];
  if (r.created) parts.push('created');
  if (r.canceled) parts.push('canceled');
  if (r.compactRevision !== 0n) parts.push(`compact=${r.compactRevision}`);
  if (r.cancelReason !== '') parts.push(`reason=${r.cancelReason}`);
  if (r.fragment) parts.push('fragment');
  if (r.events.length > 0) parts.push(`[${r.events.map(fmt).join(', ')}]`);
  return parts.join(' ');
}
