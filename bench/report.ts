// Rendering benchmark results: the side-by-side table printed by `npm run bench`.
import Table from 'cli-table3';
import type { CheckPerfResult } from './checkperf.js';
import type { LoadResult } from './load.js';
import type { MicroResult } from './micro.js';
import type { ServerKind } from './servers.js';

export type LoadRow = LoadResult;

export interface ServerRun {
  kind: ServerKind;
  /** 1-based; with --rounds N each server runs N times, alternating kinds. */
  round: number;
  /** GET /version from the running server. */
  version?: unknown;
  /** Set if the server could not be started or the run was cut short. */
  error?: string;
  loads: Record<string, LoadRow | { failed: string }>;
  checkPerf?: CheckPerfResult | { failed: string };
  /** Cluster runs: the members, the leader at startup, and who was leader after each load. */
  cluster?: { size: number; leader: string; members: { name: string; pid: number }[]; leaderAfter: Record<string, string> };
}

export interface LoadDescription {
  id: string;
  title: string;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-');

function loadCell(r: LoadRow | { failed: string } | undefined): string {
  if (r === undefined) return 'not run';
  if ('failed' in r) return 'failed';
  const err = r.errors > 0 ? ` (${fmtInt(r.errors)} errors)` : '';
  return `${fmtInt(r.rps)}${err}`;
}

function latencyCell(r: LoadRow | { failed: string } | undefined): string {
  if (r === undefined || 'failed' in r || r.ok === 0) return '-';
  return `${fmtMs(r.latencyMs.p50)} / ${fmtMs(r.latencyMs.p90)} / ${fmtMs(r.latencyMs.p99)}`;
}

function rps(r: LoadRow | { failed: string } | undefined): number | undefined {
  return r === undefined || 'failed' in r || r.ok === 0 ? undefined : r.rps;
}

function ratioCell(ts: number | undefined, etcd: number | undefined): string {
  return ts === undefined || etcd === undefined || etcd === 0 ? '-' : (ts / etcd).toFixed(2);
}

function checkPerfCell(c: CheckPerfResult | { failed: string } | undefined): string {
  if (c === undefined) return 'not run';
  if ('failed' in c) return 'failed';
  const verdict = c.pass === undefined ? (c.timedOut ? 'TIMEOUT' : 'NO VERDICT') : c.pass ? 'PASS' : 'FAIL';
  const w = c.writesPerSec === undefined ? '' : `${c.writesPerSec} w/s, `;
  const s = c.slowestS === undefined ? '' : `slowest ${(c.slowestS * 1000).toFixed(0)} ms, `;
  return `${w}${s}${verdict}`;
}

/** The main table: one row per load, both servers side by side, ratio tsetcd/etcd. */
export function renderTable(loads: readonly LoadDescription[], runs: readonly ServerRun[]): string {
  const by = (k: ServerKind): ServerRun | undefined => runs.find((r) => r.kind === k);
  const etcd = by('etcd');
  const ts = by('tsetcd');
  const table = new Table({
    head: ['load', 'etcd req/s', 'tsetcd req/s', 'ratio', 'etcd ms p50/p90/p99', 'tsetcd ms p50/p90/p99'],
    style: { head: [], border: [] },
  });
  for (const l of loads) {
    const e = etcd?.loads[l.id];
    const t = ts?.loads[l.id];
    table.push([l.title, loadCell(e), loadCell(t), ratioCell(rps(t), rps(e)), latencyCell(e), latencyCell(t)]);
  }
  const ce = etcd?.checkPerf;
  const ct = ts?.checkPerf;
  if (ce !== undefined || ct !== undefined) {
    const w = (c: typeof ce): number | undefined => (c === undefined || 'failed' in c ? undefined : c.writesPerSec);
    table.push(['etcdctl check perf --load=s', checkPerfCell(ce), checkPerfCell(ct), ratioCell(w(ct), w(ce)), '', '']);
  }
  return table.toString();
}

/** Problems worth reading under the table: start failures, failed loads, error samples. */
export function renderProblems(runs: readonly ServerRun[]): string[] {
  const out: string[] = [];
  for (const r of runs) {
    if (r.error !== undefined) out.push(`${r.kind}: ${r.error}`);
    for (const [id, l] of Object.entries(r.loads)) {
      if ('failed' in l) out.push(`${r.kind} ${id}: ${l.failed}`);
      else if (l.errors > 0) out.push(`${r.kind} ${id}: ${l.errors} errors, e.g. ${JSON.stringify(l.errorSamples)}`);
    }
    const c = r.checkPerf;
    if (c !== undefined) {
      if ('failed' in c) out.push(`${r.kind} check perf: ${c.failed}`);
      else if (c.pass !== true) out.push(`${r.kind} check perf: ${c.lines.join(' | ')}`);
    }
  }
  return out;
}

/** Server CPU per successful request, in microseconds: robust to background load. */
export function serverMicrosPerRequest(r: LoadRow | { failed: string } | undefined): number | undefined {
  if (r === undefined || 'failed' in r || r.ok === 0 || r.serverCores === undefined) return undefined;
  return (r.serverCores * r.elapsedS * 1e6) / r.ok;
}

/**
 * CPU per load. Throughput on a shared 2-core machine moves with whatever else runs;
 * the server's CPU time per request barely does, so it is the steadier comparison.
 */
export function renderCpu(loads: readonly LoadDescription[], runs: readonly ServerRun[]): string {
  const by = (k: ServerKind): ServerRun | undefined => runs.find((r) => r.kind === k);
  const kinds = runs.map((r) => r.kind);
  const table = new Table({
    head: [
      'load',
      ...kinds.map((k) => `${k} server µs/req`),
      'cost ratio',
      ...kinds.map((k) => `${k} cores: server / generator / others`),
    ],
    style: { head: [], border: [] },
  });
  const f = (v: number | undefined): string => (v === undefined ? '?' : v.toFixed(2));
  for (const l of loads) {
    const us = kinds.map((k) => serverMicrosPerRequest(by(k)?.loads[l.id]));
    const [e, t] = [serverMicrosPerRequest(by('etcd')?.loads[l.id]), serverMicrosPerRequest(by('tsetcd')?.loads[l.id])];
    table.push([
      l.title,
      ...us.map((v) => (v === undefined ? '-' : fmtInt(v))),
      ratioCell(t, e),
      ...kinds.map((k) => {
        const x = by(k)?.loads[l.id];
        if (x === undefined || 'failed' in x) return '-';
        return `${f(x.serverCores)} / ${f(x.generatorCores)} / ${f(x.otherCores)}`;
      }),
    ]);
  }
  return table.toString();
}

/** Cluster loads: each member's CPU (in cores), leader first, as measured by runLoad's serverCoresEach. */
export function renderMemberCores(loads: readonly LoadDescription[], runs: readonly ServerRun[]): string {
  const table = new Table({ head: ['load', ...runs.map((r) => `${r.kind} cores`)], style: { head: [], border: [] } });
  for (const l of loads) {
    table.push([
      l.title,
      ...runs.map((r) => {
        const x = r.loads[l.id];
        if (x === undefined || 'failed' in x || x.serverCoresEach === undefined) return '-';
        return x.serverCoresEach.map((v) => v.toFixed(2)).join(' / ');
      }),
    ]);
  }
  return table.toString();
}

export function renderMicro(results: readonly MicroResult[]): string {
  const table = new Table({ head: ['suite', 'metric', 'value', 'unit'], style: { head: [], border: [] } });
  for (const r of results) {
    if (r.status !== 'ok') {
      table.push([r.suite, r.status, { colSpan: 2, content: r.reason ?? '' }]);
      continue;
    }
    for (const m of r.metrics) table.push([r.suite, m.name, Number.isInteger(m.value) ? fmtInt(m.value) : m.value.toPrecision(4), m.unit]);
  }
  return table.toString();
}

/**
 * One run per server kind for the table: per load, the round with the median throughput
 * (rounds alternate between servers, so a burst of background load hits one round of one
 * server, and the median discards it).
 */
export function medianRuns(runs: readonly ServerRun[]): ServerRun[] {
  const out: ServerRun[] = [];
  for (const kind of [...new Set(runs.map((r) => r.kind))]) {
    const mine = runs.filter((r) => r.kind === kind);
    const merged: ServerRun = { kind, round: 0, loads: {} };
    const errors = mine.flatMap((r) => (r.error === undefined ? [] : [`round ${r.round}: ${r.error}`]));
    if (errors.length > 0) merged.error = errors.join('; ');
    const ids = [...new Set(mine.flatMap((r) => Object.keys(r.loads)))];
    for (const id of ids) {
      const rows = mine.map((r) => r.loads[id]).filter((x): x is LoadRow | { failed: string } => x !== undefined);
      const good = rows.filter((x): x is LoadRow => !('failed' in x)).sort((a, b) => a.rps - b.rps);
      // Lower median for an even count: never flatter a server.
      merged.loads[id] = good.length > 0 ? good[Math.floor((good.length - 1) / 2)]! : rows[0]!;
    }
    const cp = mine.find((r) => r.checkPerf !== undefined)?.checkPerf;
    if (cp !== undefined) merged.checkPerf = cp;
    merged.version = mine.find((r) => r.version !== undefined)?.version;
    out.push(merged);
  }
  return out;
}
