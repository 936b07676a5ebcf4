// etcd's sendFragments: a response for a watch created with fragment=true that encodes to at
// least maxRequestBytes is split into several responses, fragment=true on all but the last, each
// as many events as fit below the limit (but at least one). A single event is never split, and a
// watch without fragment=true gets its response whole whatever its size.

import { create, toBinary } from '@bufbuild/protobuf';
import { WatchResponseSchema, type WatchResponse } from '../gen/etcdserverpb/rpc_pb.js';
import { EventSchema, type Event } from '../gen/mvccpb/kv_pb.js';

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Encoded bytes one event adds to a WatchResponse (field 11: one tag byte, length, body). */
function eventFieldSize(ev: Event): number {
  const n = toBinary(EventSchema, ev).length;
  return 1 + varintSize(n) + n;
}

export function fragmentResponse(wr: WatchResponse, maxRequestBytes: number): WatchResponse[] {
  if (wr.events.length < 2) return [wr];
  const sizes = wr.events.map(eventFieldSize);
  const whole = toBinary(WatchResponseSchema, { ...wr, events: [] }).length + sizes.reduce((a, b) => a + b, 0);
  if (whole < maxRequestBytes) return [wr];
  // etcd measures every part with fragment=true set, including the last.
  const base = toBinary(WatchResponseSchema, { ...wr, events: [], fragment: true }).length;
  const parts: WatchResponse[] = [];
  let idx = 0;
  while (idx < wr.events.length) {
    const from = idx;
    let size = base;
    while (idx < wr.events.length) {
      size += sizes[idx]!;
      if (idx > from && size >= maxRequestBytes) break;
      idx++;
    }
    parts.push(create(WatchResponseSchema, { ...wr, events: wr.events.slice(from, idx), fragment: idx < wr.events.length }));
  }
  return parts;
}
