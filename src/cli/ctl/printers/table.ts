// -w table: olekukonko/tablewriter as etcdctl configures it (headers upper-cased and centred,
// cells right-aligned, one space of padding). Only member list and endpoint results have tables.
import type { MemberListResponse } from '../../../gen/etcdserverpb/rpc_pb.js';
import type { Output } from '../io.js';
import { unsupported, type EpHashKV, type EpHealth, type EpStatus, type Printer } from './printer.js';
import {
  ENDPOINT_HEALTH_HEADER, ENDPOINT_STATUS_HEADER, endpointHealthRows, endpointStatusRows, HASHKV_HEADER,
  hashKVRows, MEMBER_LIST_HEADER, memberListRows,
} from './rows.js';

/** Display width in terminal columns; etcd's values are ASCII, so code points suffice. */
function width(s: string): number {
  return [...s].length;
}

/** tablewriter.Title: '_' becomes a space, trimmed, upper-cased. */
function title(s: string): string {
  const t = s.replace(/_/g, ' ').trim();
  return (t === '' && s !== '' ? ' ' : t).toUpperCase();
}

export function renderTable(header: string[], rows: string[][]): string {
  const cs = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = '+' + cs.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  let out = line;
  out += '|' + header.map((h, i) => {
    const t = title(h);
    const gap = (cs[i] as number) - width(t);
    const left = Math.floor(gap / 2);
    return ' ' + ' '.repeat(left) + t + ' '.repeat(gap - left) + ' ';
  }).join('|') + '|\n';
  out += line;
  for (const r of rows) {
    out += '|' + r.map((c, i) => ' ' + ' '.repeat(Math.max(0, (cs[i] as number) - width(c))) + c + ' ').join('|') + '|\n';
  }
  out += line;
  return out;
}

export class TablePrinter implements Printer {
  constructor(private readonly out: Output) {}
  del(): void { unsupported('table'); }
  get(): void { unsupported('table'); }
  put(): void { unsupported('table'); }
  txn(): void { unsupported('table'); }
  alarm(): void { unsupported('table'); }
  memberList(r: MemberListResponse): void { this.out.write(renderTable(MEMBER_LIST_HEADER, memberListRows(r))); }
  endpointHealth(hs: EpHealth[]): void { this.out.write(renderTable(ENDPOINT_HEALTH_HEADER, endpointHealthRows(hs))); }
  endpointStatus(ss: EpStatus[]): void { this.out.write(renderTable(ENDPOINT_STATUS_HEADER, endpointStatusRows(ss))); }
  endpointHashKV(hs: EpHashKV[]): void { this.out.write(renderTable(HASHKV_HEADER, hashKVRows(hs))); }
}
