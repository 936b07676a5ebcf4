// `npm run bench`: the same loads against real etcd and tsetcd, one server after the
// other, then the layer micro-benchmarks. Prints a side-by-side table with the ratio
// tsetcd/etcd and writes everything to bench/results/latest.json. See BENCHMARKS.md.
//
//   node dist/bench/run.js [--quick] [--only WHAT[,WHAT...]] [--workers N] [--duration SEC]
//                          [--rounds N] [--skip-check-perf] [--skip-micro] [--skip-streams] [--skip-cluster]
//
// --only takes server kinds (etcd, tsetcd: run only that server), parts (single, cluster3,
// streams, micro) and load ids (put-1, put-100, range-linearizable, range-serializable,
// cluster3-put-100, cluster3-range-lin), comma-separated or repeated. With no part or load id,
// every part runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runCheckPerf } from './checkperf.js';
import { runLoad, type OpSpec } from './load.js';
import { runMicroBenchmarks, type MicroResult } from './micro.js';
import { compareStreams, renderStreams, type StreamComparison } from './streams.js';
import { medianRuns, renderCpu, renderMemberCores, renderMicro, renderProblems, renderTable, type LoadDescription, type ServerRun } from './report.js';
import { memberStatus, startCluster, type RunningCluster } from './cluster.js';
import { SERVER_KINDS, startServer, type ServerKind } from './servers.js';

interface Options {
  quick: boolean;
  /** The --only arguments as given (kinds, parts, load ids); empty = everything. */
  only: string[];
  /** Server kinds to run (single-member and cluster loads). */
  kinds: ServerKind[];
  /** Single-member load ids to run. */
  singleLoads: string[];
  /** 3-member cluster load ids to run. */
  clusterLoads: string[];
  /** Load-generator threads (see bench/load.ts); 0 = the main thread. */
  workers: number;
  durationMs: number;
  /** Each server runs this many times, alternating; the table shows the median round. */
  rounds: number;
  checkPerf: boolean;
  micro: boolean;
  streams: boolean;
}

const USAGE =
  'usage: node dist/bench/run.js [--quick] [--only WHAT[,WHAT...]] [--workers N] [--duration SEC] [--rounds N] [--skip-check-perf] [--skip-micro] [--skip-streams] [--skip-cluster]\n' +
  '  WHAT: etcd | tsetcd | single | cluster3 | streams | micro | a load id (put-1, put-100, range-linearizable, range-serializable, cluster3-put-100, cluster3-range-lin)';

/** Default generator threads: measured on the 2-core machine, see BENCHMARKS.md. */
const DEFAULT_WORKERS = 0;

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    quick: false,
    only: [],
    kinds: [...SERVER_KINDS],
    singleLoads: LOADS.map((l) => l.id),
    clusterLoads: CLUSTER_LOADS.map((l) => l.id),
    workers: DEFAULT_WORKERS,
    durationMs: 10_000,
    rounds: 1,
    checkPerf: true,
    micro: true,
    streams: true,
  };
  let duration: number | undefined;
  let skipCluster = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--only': {
        for (const v of value().split(',').map((x) => x.trim()).filter((x) => x !== '')) {
          if (!ONLY_WORDS.includes(v)) throw new Error(`--only: unknown ${v}\n${USAGE}`);
          o.only.push(v);
        }
        break;
      }
      case '--skip-cluster':
        skipCluster = true;
        break;
      case '--workers': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 16) throw new Error(`--workers must be an integer 0..16`);
        o.workers = v;
        break;
      }
      case '--duration': {
        const v = Number(value());
        if (!Number.isFinite(v) || v <= 0 || v > 600) throw new Error(`--duration must be seconds in (0, 600]`);
        duration = v * 1000;
        break;
      }
      case '--rounds': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 20) throw new Error(`--rounds must be an integer 1..20`);
        o.rounds = v;
        break;
      }
      case '--skip-check-perf':
        o.checkPerf = false;
        break;
      case '--skip-streams':
        o.streams = false;
        break;
      case '--skip-micro':
        o.micro = false;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      // falls through (process.exit does not return)
      default:
        throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (o.quick) {
    o.checkPerf = false;
    o.durationMs = 2_000;
  }
  if (duration !== undefined) o.durationMs = duration;
  const kinds = o.only.filter((w) => (SERVER_KINDS as readonly string[]).includes(w)) as ServerKind[];
  if (kinds.length > 0) o.kinds = SERVER_KINDS.filter((k) => kinds.includes(k));
  const parts = o.only.filter((w) => !(SERVER_KINDS as readonly string[]).includes(w));
  if (parts.length > 0) {
    // Only the named parts and loads; check perf belongs to the whole single-member part.
    const single = parts.includes('single');
    o.singleLoads = LOADS.filter((l) => single || parts.includes(l.id)).map((l) => l.id);
    o.clusterLoads = CLUSTER_LOADS.filter((l) => parts.includes('cluster3') || parts.includes(l.id)).map((l) => l.id);
    o.checkPerf &&= single;
    if (parts.includes('micro') && !o.micro) throw new Error('--only micro and --skip-micro exclude each other');
    if (parts.includes('streams') && !o.streams) throw new Error('--only streams and --skip-streams exclude each other');
    o.micro &&= parts.includes('micro');
    o.streams &&= parts.includes('streams');
  }
  if (skipCluster) {
    if (parts.some((w) => w.startsWith('cluster3'))) throw new Error('--only cluster3… and --skip-cluster exclude each other');
    o.clusterLoads = [];
  }
  return o;
}

/** Background CPU (cores) above which the numbers are flagged as taken under contention. */
const CONTENDED_CORES = 0.25;

/** 8-byte keys, 256-byte values (etcd's benchmark defaults, per the task). */
const KEY_SPACE = 10_000;
const VALUE_SIZE = 256;

interface LoadDef extends LoadDescription {
  clients: number;
  connections: number;
  op: OpSpec;
}

const LOADS: readonly LoadDef[] = [
  {
    id: 'put-1',
    title: 'put, 1 client',
    clients: 1,
    connections: 1,
    op: { kind: 'put', keySpace: KEY_SPACE, valueSize: VALUE_SIZE, keyOrder: 'random' },
  },
  {
    id: 'put-100',
    title: 'put, 100 clients / 10 conns',
    clients: 100,
    connections: 10,
    op: { kind: 'put', keySpace: KEY_SPACE, valueSize: VALUE_SIZE, keyOrder: 'random' },
  },
  {
    id: 'range-linearizable',
    title: 'range linearizable, 100 clients / 10 conns',
    clients: 100,
    connections: 10,
    op: { kind: 'range', keySpace: KEY_SPACE, serializable: false },
  },
  {
    id: 'range-serializable',
    title: 'range serializable, 100 clients / 10 conns',
    clients: 100,
    connections: 10,
    op: { kind: 'range', keySpace: KEY_SPACE, serializable: true },
  },
];

/**
 * The 3-member cluster loads: the same generator and bytes as put-100 and range-linearizable,
 * sent to the leader's client URL (the member all three named as leader at startup).
 */
const CLUSTER_SIZE = 3;
const CLUSTER_LOADS: readonly LoadDef[] = [
  { ...LOADS[1]!, id: 'cluster3-put-100', title: '3 members: put, 100 clients / 10 conns' },
  { ...LOADS[2]!, id: 'cluster3-range-lin', title: '3 members: range linearizable, 100 / 10' },
];

/** Untimed warm-up before each cluster load: whichever bound comes first. */
const CLUSTER_WARMUP = { requests: 15_000, durationMs: 20_000 };
const CLUSTER_WARMUP_QUICK = { requests: 3_000, durationMs: 5_000 };

/** Every word --only accepts. */
const ONLY_WORDS: readonly string[] = [...SERVER_KINDS, 'single', 'cluster3', 'streams', 'micro', ...LOADS.map((l) => l.id), ...CLUSTER_LOADS.map((l) => l.id)];

/** Servers and clusters currently running, so a signal can still stop them. */
const live = new Set<{ stop(): Promise<void>; killNow(): void }>();

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function benchServer(kind: ServerKind, round: number, o: Options): Promise<ServerRun> {
  const run: ServerRun = { kind, round, loads: {} };
  let server: Awaited<ReturnType<typeof startServer>>;
  log(`starting ${kind}`);
  try {
    server = await startServer(kind);
  } catch (err) {
    run.error = `could not start: ${errorText(err)}`;
    log(run.error);
    return run;
  }
  live.add(server);
  try {
    log(`${kind} up at ${server.clientUrl} (pid ${server.pid})`);
    try {
      const res = await fetch(`${server.clientUrl}/version`, { signal: AbortSignal.timeout(2_000) });
      run.version = await res.json();
    } catch (err) {
      run.version = `GET /version failed: ${errorText(err)}`;
    }
    const base = { url: server.clientUrl, workers: o.workers };
    // Untimed warm-up: JIT on both sides, first WAL segment and backend pages allocated.
    await runLoad({ ...base, ...LOADS[1]!, name: 'warmup', durationMs: o.quick ? 300 : 1_000 }).catch((err: unknown) =>
      log(`${kind} warm-up failed: ${errorText(err)}`),
    );
    let prepopulated = false;
    for (const l of LOADS.filter((x) => o.singleLoads.includes(x.id))) {
      if (l.op.kind === 'range' && !prepopulated) {
        await prepopulate(kind, server.clientUrl, o);
        prepopulated = true;
      }
      log(`${kind}: ${l.title} for ${o.durationMs / 1000} s`);
      try {
        const row = await runLoad({ ...base, ...l, name: l.id, durationMs: o.durationMs, serverPid: server.pid });
        run.loads[l.id] = row;
        log(`${kind}: ${l.id}: ${Math.round(row.rps)} req/s, p99 ${row.latencyMs.p99.toFixed(2)} ms, ${row.errors} errors`);
      } catch (err) {
        run.loads[l.id] = { failed: errorText(err) };
        log(`${kind}: ${l.id} failed: ${errorText(err)}`);
      }
    }
    // check perf runs ~60 s at a fixed pace: once per server is enough.
    if (o.checkPerf && round === 1) {
      log(`${kind}: etcdctl check perf --load=s (about 60 s)`);
      try {
        run.checkPerf = await runCheckPerf(server.clientUrl, 's');
      } catch (err) {
        run.checkPerf = { failed: errorText(err) };
      }
    }
  } catch (err) {
    run.error = `run aborted: ${errorText(err)}`;
    log(run.error);
  } finally {
    live.delete(server);
    await server.stop();
    log(`${kind} stopped`);
  }
  return run;
}

/** Writes the whole key space once, in order, so every range hits a key. */
async function prepopulate(label: string, url: string, o: Options): Promise<void> {
  log(`${label}: prepopulating ${KEY_SPACE} keys`);
  const pre = await runLoad({
    url,
    workers: o.workers,
    name: 'prepopulate',
    clients: 100,
    connections: 10,
    op: { kind: 'put', keySpace: KEY_SPACE, valueSize: VALUE_SIZE, keyOrder: 'sequential' },
    requests: KEY_SPACE,
  });
  if (pre.ok !== KEY_SPACE) log(`${label}: prepopulation wrote ${pre.ok}/${KEY_SPACE} keys (${pre.errors} errors)`);
}

/** Name of the member every member names as leader right now, or a description of the disagreement. */
async function currentLeader(c: RunningCluster): Promise<string> {
  const s = await Promise.all(c.members.map((m) => memberStatus(m.clientUrl).catch(() => undefined)));
  const names = s.map((x) => {
    if (x === undefined) return 'unreachable';
    const i = s.findIndex((y) => y !== undefined && y.memberId === x.leader);
    return i >= 0 ? c.members[i]!.name : x.leader === 0n ? 'none' : `unknown ${x.leader.toString(16)}`;
  });
  return new Set(names).size === 1 ? names[0]! : `disagree: ${names.join(' / ')}`;
}

/** The cluster loads against one fresh 3-member cluster of `kind`, all sent to the leader's client URL. */
async function benchCluster(kind: ServerKind, round: number, o: Options): Promise<ServerRun> {
  const run: ServerRun = { kind, round, loads: {} };
  const label = `${kind} x${CLUSTER_SIZE}`;
  let c: RunningCluster;
  log(`starting a ${CLUSTER_SIZE}-member ${kind} cluster`);
  try {
    c = await startCluster(kind, { size: CLUSTER_SIZE });
  } catch (err) {
    run.error = `could not start the cluster: ${errorText(err)}`;
    log(run.error);
    return run;
  }
  live.add(c);
  try {
    const leader = c.members[c.leader]!;
    run.cluster = { size: CLUSTER_SIZE, leader: leader.name, members: c.members.map((m) => ({ name: m.name, pid: m.pid })), leaderAfter: {} };
    log(`${label} up: ${c.members.map((m) => `${m.name} pid ${m.pid}`).join(', ')}; leader ${leader.name} at ${leader.clientUrl}`);
    try {
      const res = await fetch(`${leader.clientUrl}/version`, { signal: AbortSignal.timeout(2_000) });
      run.version = await res.json();
    } catch (err) {
      run.version = `GET /version failed: ${errorText(err)}`;
    }
    // The leader first, so the per-member CPU columns read leader / follower / follower.
    const pids = [leader.pid, ...c.members.filter((m) => m !== leader).map((m) => m.pid)];
    const base = { url: c.leaderUrl, workers: o.workers };
    let prepopulated = false;
    for (const l of CLUSTER_LOADS.filter((x) => o.clusterLoads.includes(x.id))) {
      if (l.op.kind === 'range' && !prepopulated) {
        await prepopulate(label, c.leaderUrl, o);
        prepopulated = true;
      }
      // Untimed warm-up of the same load. tsetcd's members need thousands of requests before
      // their CPU per request settles (JIT): 1 s is not enough on a cluster (see BENCHMARKS.md).
      const warm = o.quick ? CLUSTER_WARMUP_QUICK : CLUSTER_WARMUP;
      log(`${label}: warm-up, ${warm.requests} requests or ${warm.durationMs / 1000} s`);
      await runLoad({ ...base, ...l, name: `warmup-${l.id}`, ...warm }).catch((err: unknown) => log(`${label} warm-up failed: ${errorText(err)}`));
      log(`${label}: ${l.title} for ${o.durationMs / 1000} s`);
      try {
        const row = await runLoad({ ...base, ...l, name: l.id, durationMs: o.durationMs, serverPids: pids });
        run.loads[l.id] = row;
        const each = row.serverCoresEach?.map((v) => v.toFixed(2)).join(' / ') ?? '?';
        log(`${label}: ${l.id}: ${Math.round(row.rps)} req/s, p99 ${row.latencyMs.p99.toFixed(2)} ms, ${row.errors} errors, cores leader/followers ${each}`);
      } catch (err) {
        run.loads[l.id] = { failed: errorText(err) };
        log(`${label}: ${l.id} failed: ${errorText(err)}`);
      }
      // A leader change under load (elections on a starved machine) would move the load's meaning.
      const now = await currentLeader(c);
      run.cluster.leaderAfter[l.id] = now;
      if (now !== leader.name) log(`${label}: WARNING leader after ${l.id}: ${now} (was ${leader.name})`);
    }
  } catch (err) {
    run.error = `run aborted: ${errorText(err)}`;
    log(run.error);
  } finally {
    live.delete(c);
    await c.stop();
    log(`${label} stopped`);
  }
  return run;
}

function printClusterTables(o: Options, runs: readonly ServerRun[], shown: readonly ServerRun[]): void {
  const loads = CLUSTER_LOADS.filter((l) => o.clusterLoads.includes(l.id));
  const rounds = o.rounds > 1 ? `, median of ${o.rounds} rounds` : '';
  console.log(
    `\n${CLUSTER_SIZE}-member clusters (${o.durationMs / 1000} s each${rounds}; load sent to the leader's client URL; ratio = tsetcd/etcd throughput)`,
  );
  console.log(renderTable(loads, shown));
  console.log(`\nCPU during each cluster load (server = sum over the ${CLUSTER_SIZE} member processes; cost ratio = tsetcd/etcd server CPU per request)`);
  console.log(renderCpu(loads, shown));
  console.log('\nServer cores per member (leader / follower / follower)');
  console.log(renderMemberCores(loads, shown));
  const changed = shown.flatMap((r) =>
    Object.entries(r.cluster?.leaderAfter ?? {}).flatMap(([id, now]) => (now === r.cluster?.leader ? [] : [`${r.kind} ${id}: leader ${r.cluster?.leader} -> ${now}`])),
  );
  if (changed.length > 0) console.log('\nLeader changed during a load (the numbers mix leader and follower paths):\n  ' + changed.join('\n  '));
  const problems = renderProblems(runs);
  if (problems.length > 0) console.log('\nProblems:\n  ' + problems.join('\n  '));
}

function stopAllAndExit(signal: NodeJS.Signals): void {
  log(`${signal}: stopping ${live.size} server(s)`);
  void Promise.all([...live].map((s) => s.stop())).finally(() => process.exit(130));
}

function printServerTables(o: Options, runs: readonly ServerRun[], shown: readonly ServerRun[]): void {
  const rounds = o.rounds > 1 ? `, median of ${o.rounds} rounds` : '';
  const threads = o.workers === 0 ? 'main thread' : `${o.workers} worker threads`;
  console.log(`\nServer loads (${o.durationMs / 1000} s each${rounds}; generator: ${threads}; ratio = tsetcd/etcd throughput)`);
  const loads = LOADS.filter((l) => o.singleLoads.includes(l.id));
  console.log(renderTable(loads, shown));
  console.log(
    `\nCPU during each load (the machine has ${cpus().length} cores; "others" = every other process; cost ratio = tsetcd/etcd server CPU per request, lower is better)`,
  );
  console.log(renderCpu(loads, shown));
  const others = shown.flatMap((r) => Object.values(r.loads)).flatMap((l) => ('failed' in l || l.otherCores === undefined ? [] : [l.otherCores]));
  const worst = Math.max(0, ...others);
  if (worst > CONTENDED_CORES) {
    console.log(
      `\nWARNING: other processes used up to ${worst.toFixed(2)} of ${cpus().length} cores during these loads: ` +
        'throughput is contention-bound; compare server CPU per request, or re-run on a quiet machine.',
    );
  }
  const problems = renderProblems(runs);
  if (problems.length > 0) console.log('\nProblems:\n  ' + problems.join('\n  '));
}


async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  process.once('SIGINT', stopAllAndExit);
  process.once('SIGTERM', stopAllAndExit);
  // Whatever ends this process (an uncaught error, EPIPE when piped into head), no server survives it.
  process.on('exit', () => {
    for (const s of live) s.killNow();
  });
  process.stdout.on('error', () => {});
  const startedAt = new Date().toISOString();
  const runs: ServerRun[] = [];
  if (o.singleLoads.length > 0) {
    for (let round = 1; round <= o.rounds; round++) {
      for (const kind of o.kinds) {
        if (o.rounds > 1) log(`round ${round}/${o.rounds}`);
        runs.push(await benchServer(kind, round, o));
      }
    }
  }
  const shown = medianRuns(runs);
  const clusterRuns: ServerRun[] = [];
  if (o.clusterLoads.length > 0) {
    for (let round = 1; round <= o.rounds; round++) {
      for (const kind of o.kinds) {
        if (o.rounds > 1) log(`cluster round ${round}/${o.rounds}`);
        clusterRuns.push(await benchCluster(kind, round, o));
      }
    }
  }
  const clusterShown = medianRuns(clusterRuns);
  let streams: StreamComparison[] = [];
  if (o.streams) {
    log('stream benchmarks: watch fan-out and lease keepalive, etcd then tsetcd');
    streams = await compareStreams(log, o.quick);
  }
  let micro: MicroResult[] = [];
  if (o.micro) {
    log('micro-benchmarks: raft, wal, mvcc');
    micro = await runMicroBenchmarks();
  }

  if (runs.length > 0) printServerTables(o, runs, shown);
  if (clusterRuns.length > 0) printClusterTables(o, clusterRuns, clusterShown);
  if (streams.length > 0) {
    console.log('\nStream benchmarks (ratio = tsetcd/etcd)');
    console.log(renderStreams(streams));
  }
  if (o.micro) {
    console.log('\nMicro-benchmarks');
    console.log(renderMicro(micro));
  }
  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const outFile = `${outDir}latest.json`;
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavgAtEnd: loadavg() },
    options: o,
    keySpace: KEY_SPACE,
    valueSize: VALUE_SIZE,
    loads: LOADS,
    summary: shown,
    runs,
    clusterLoads: CLUSTER_LOADS,
    clusterSummary: clusterShown,
    clusterRuns,
    streams,
    micro,
  };
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nResults written to ${outFile}`);

  const failed =
    [...runs, ...clusterRuns].some((r) => r.error !== undefined || Object.values(r.loads).some((l) => 'failed' in l || l.errors > 0)) ||
    micro.some((m) => m.status === 'failed');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(errorText(err));
    process.exit(2);
  },
);
