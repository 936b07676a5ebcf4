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

/** tablewriter's widest cell before wrapping kicks in. */
const MAX_COL_WIDTH = 30;
const WRAP_PENALTY = 100_000;

/**
 * tablewriter.WrapWords: splits words into lines of at most `lim` columns, minimising the
 * sum of squared slack (a too-long line costs a penalty).
 */
function wrapWords(words: string[], lim: number): string[][] {
  const n = words.length;
  const len = (i: number, j: number): number => {
    let l = 0;
    for (let k = i; k <= j; k++) l += width(words[k] as string) + (k > i ? 1 : 0);
    return l;
  };
  const nbrk: number[] = new Array<number>(n).fill(0);
  const cost: number[] = new Array<number>(n).fill(2 ** 31 - 1);
  for (let i = n - 1; i >= 0; i--) {
    if (len(i, n - 1) <= lim) {
      cost[i] = 0;
      nbrk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - len(i, j - 1);
      let c = d * d + (cost[j] as number);
      if (len(i, j - 1) > lim) c += WRAP_PENALTY;
      if (c < (cost[i] as number)) {
        cost[i] = c;
        nbrk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = nbrk[i] as number) lines.push(words.slice(i, nbrk[i]));
  return lines;
}

/** tablewriter parseDimension with auto-wrap and reflow: a cell's lines and its column width. */
function cellLines(s: string): { lines: string[]; width: number } {
  const raw = s.split('\n');
  let maxWidth = Math.min(MAX_COL_WIDTH, Math.max(...raw.map(width)));
  const para = raw.join(' ');
  const words = para.split(' ');
  const lim = Math.max(maxWidth, ...words.map(width));
  const lines = wrapWords(words, lim).map((ws) => ws.join(' '));
  for (const l of lines) maxWidth = Math.max(maxWidth, width(l));
  return { lines, width: maxWidth };
}

export function renderTable(header: string[], rows: string[][]): string {
  const head = header.map(cellLines);
  const body = rows.map((r) => r.map(cellLines));
  const cs = header.map((_, i) => Math.max((head[i] as { width: number }).width, ...body.map((r) => r[i]?.width ?? 0)));
  const line = '+' + cs.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  let out = line;
  const headHeight = Math.max(...head.map((c) => c.lines.length));
  for (let x = 0; x < headHeight; x++) {
    out += '|' + head.map((c, i) => {
      const t = title(c.lines[x] ?? '');
      const gap = (cs[i] as number) - width(t);
      const left = Math.floor(gap / 2);
      return ' ' + ' '.repeat(Math.max(0, left)) + t + ' '.repeat(Math.max(0, gap - left)) + ' ';
    }).join('|') + '|\n';
  }
  out += line;
  for (const r of body) {
    const height = Math.max(...r.map((c) => c.lines.length));
    for (let x = 0; x < height; x++) {
      out += '|' + r.map((c, i) => {
        const t = c.lines[x] ?? '  ';
        return ' ' + ' '.repeat(Math.max(0, (cs[i] as number) - width(t))) + t + ' ';
      }).join('|') + '|\n';
    }
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
  grant(): void { unsupported('table'); }
  revoke(): void { unsupported('table'); }
  keepAlive(): void { unsupported('table'); }
  timeToLive(): void { unsupported('table'); }
  leases(): void { unsupported('table'); }
  memberList(r: MemberListResponse): void { this.out.write(renderTable(MEMBER_LIST_HEADER, memberListRows(r))); }
  endpointHealth(hs: EpHealth[]): void { this.out.write(renderTable(ENDPOINT_HEALTH_HEADER, endpointHealthRows(hs))); }
  endpointStatus(ss: EpStatus[]): void { this.out.write(renderTable(ENDPOINT_STATUS_HEADER, endpointStatusRows(ss))); }
  endpointHashKV(hs: EpHashKV[]): void { this.out.write(renderTable(HASHKV_HEADER, hashKVRows(hs))); }
}
