// How etcdctl's printers show one watch response (display.Watch in printer_*.go), per format.
// clientv3.WatchResponse is a plain Go struct, so -w json shows its exported fields by name
// (Header, Events, CompactRevision, Canceled, Created; Events always a list), -w protobuf
// re-packs it into an etcdserverpb.WatchResponse, and -w table has no watch form.
import { create, toBinary } from '@bufbuild/protobuf';
import { ResponseHeaderSchema, WatchResponseSchema } from '../../../gen/etcdserverpb/rpc_pb.js';
import { Event_EventType, type Event, type KeyValue } from '../../../gen/mvccpb/kv_pb.js';
import type { WatchResult } from '../../../client/watch.js';
import { goQuote } from '../goparse.js';
import type { Output } from '../io.js';
import { hexEscape, must } from './gofmt.js';
import { header, keyValue, obj } from './json.js';
import { unsupported, type OutputFormat } from './printer.js';

export type WatchPrinter = (r: WatchResult) => void;

function eventTypeName(t: Event_EventType): string {
  return t === Event_EventType.PUT ? 'PUT' : t === Event_EventType.DELETE ? 'DELETE' : String(t);
}


export function newWatchPrinter(format: OutputFormat, isHex: boolean, out: Output): WatchPrinter {
  const line = (s: string | Uint8Array): void => {
    out.write(s);
    out.write('\n');
  };
  switch (format) {
    case 'simple':
      return (r) => {
        const kv = (x: KeyValue): void => {
          line(isHex ? hexEscape(x.key) : x.key);
          line(isHex ? hexEscape(x.value) : x.value);
        };
        for (const ev of r.events) {
          line(eventTypeName(ev.type));
          if (ev.prevKv !== undefined) kv(ev.prevKv);
          kv(must(ev.kv));
        }
      };
    case 'json':
      return (r) => {
        const event = (ev: Event): string => obj([
          ['type', ev.type === Event_EventType.PUT ? undefined : String(ev.type)],
          ['kv', ev.kv === undefined ? undefined : keyValue(ev.kv)],
          ['prev_kv', ev.prevKv === undefined ? undefined : keyValue(ev.prevKv)],
        ]);
        line(obj([
          ['Header', header(r.header)],
          ['Events', `[${r.events.map(event).join(',')}]`],
          ['CompactRevision', r.compactRevision.toString()],
          ['Canceled', r.canceled ? 'true' : 'false'],
          ['Created', r.created ? 'true' : 'false'],
        ]));
      };
    case 'fields':
      return (r) => {
        const h = r.header;
        line(`"ClusterID" : ${h.clusterId}`);
        line(`"MemberID" : ${h.memberId}`);
        line(`"Revision" : ${h.revision}`);
        line(`"RaftTerm" : ${h.raftTerm}`);
        const kv = (pfx: string, x: KeyValue): void => {
          line(`"${pfx}Key" : ${goQuote(x.key)}`);
          line(`"${pfx}CreateRevision" : ${x.createRevision}`);
          line(`"${pfx}ModRevision" : ${x.modRevision}`);
          line(`"${pfx}Version" : ${x.version}`);
          line(`"${pfx}Value" : ${goQuote(x.value)}`);
          line(`"${pfx}Lease" : ${x.lease}`);
        };
        for (const ev of r.events) {
          line(`"Type" : ${eventTypeName(ev.type)}`);
          if (ev.prevKv !== undefined) kv('Prev', ev.prevKv);
          kv('', must(ev.kv));
        }
      };
    case 'protobuf':
      return (r) => {
        out.write(toBinary(WatchResponseSchema, create(WatchResponseSchema, {
          header: r.header ?? create(ResponseHeaderSchema, {}),
          events: r.events,
          compactRevision: r.compactRevision,
          canceled: r.canceled,
          created: r.created,
        })));
      };
    case 'table':
      return () => unsupported('table');
  }
}
