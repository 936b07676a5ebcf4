// `npm run bench`: the same loads against real etcd and tsetcd, one server after the
// other, then the layer micro-benchmarks. Prints a side-by-side table with the ratio
// tsetcd/etcd and writes everything to bench/results/latest.json. See BENCHMARKS.md.
//
//   node dist/bench/run.js [--quick] [--only etcd|tsetcd|micro] [--workers N] [--duration SEC]
//                          [--rounds N] [--skip-check-perf] [--skip-micro]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runCheckPerf } from './checkperf.js';
import { runLoad, type OpSpec } from './load.js';
import { runMicroBenchmarks, type MicroResult } from './micro.js';
import { compareStreams, renderStreams, type StreamComparison } from './streams.js';
import { medianRuns, renderCpu, renderMicro, renderProblems, renderTable, type LoadDescription, type ServerRun } from './report.js';
import { SERVER_KINDS, startServer, type RunningServer, type ServerKind } from './servers.js';

interface Options {
  quick: boolean;
  /** Only this server, or 'micro' for the micro-benchmarks alone. */
  only: ServerKind | 'micro' | undefined;
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
  'usage: node dist/bench/run.js [--quick] [--only etcd|tsetcd|micro] [--workers N] [--duration SEC] [--rounds N] [--skip-check-perf] [--skip-micro] [--skip-streams]';

/** Default generator threads: measured on the 2-core machine, see BENCHMARKS.md. */
const DEFAULT_WORKERS = 0;

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { quick: false, only: undefined, workers: DEFAULT_WORKERS, durationMs: 10_000, rounds: 1, checkPerf: true, micro: true, streams: true };
  let duration: number | undefined;
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
        const v = value();
        if (v !== 'micro' && !SERVER_KINDS.includes(v as ServerKind)) throw new Error(`--only must be etcd, tsetcd or micro, got ${v}`);
        o.only = v as ServerKind | 'micro';
        break;
      }
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
  if (o.only === 'micro' && !o.micro) throw new Error('--only micro and --skip-micro exclude each other');
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

/** Servers currently running, so a signal can still stop them. */
const live = new Set<RunningServer>();

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function benchServer(kind: ServerKind, round: number, o: Options): Promise<ServerRun> {
  const run: ServerRun = { kind, round, loads: {} };
  let server: RunningServer;
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
    for (const l of LOADS) {
      if (l.op.kind === 'range' && !prepopulated) {
        // Every range hits an existing key: write the whole key space once, in order.
        log(`${kind}: prepopulating ${KEY_SPACE} keys`);
        const pre = await runLoad({
          ...base,
          name: 'prepopulate',
          clients: 100,
          connections: 10,
          op: { kind: 'put', keySpace: KEY_SPACE, valueSize: VALUE_SIZE, keyOrder: 'sequential' },
          requests: KEY_SPACE,
        });
        if (pre.ok !== KEY_SPACE) log(`${kind}: prepopulation wrote ${pre.ok}/${KEY_SPACE} keys (${pre.errors} errors)`);
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

function stopAllAndExit(signal: NodeJS.Signals): void {
  log(`${signal}: stopping ${live.size} server(s)`);
  void Promise.all([...live].map((s) => s.stop())).finally(() => process.exit(130));
}

function printServerTables(o: Options, runs: readonly ServerRun[], shown: readonly ServerRun[]): void {
  const rounds = o.rounds > 1 ? `, median of ${o.rounds} rounds` : '';
  const threads = o.workers === 0 ? 'main thread' : `${o.workers} worker threads`;
  console.log(`\nServer loads (${o.durationMs / 1000} s each${rounds}; generator: ${threads}; ratio = tsetcd/etcd throughput)`);
  console.log(renderTable(LOADS, shown));
  console.log(
    `\nCPU during each load (the machine has ${cpus().length} cores; "others" = every other process; cost ratio = tsetcd/etcd server CPU per request, lower is better)`,
  );
  console.log(renderCpu(LOADS, shown));
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
  for (let round = 1; round <= o.rounds; round++) {
    for (const kind of SERVER_KINDS) {
      if (o.only !== undefined && o.only !== kind) continue;
      if (o.rounds > 1) log(`round ${round}/${o.rounds}`);
      runs.push(await benchServer(kind, round, o));
    }
  }
  const shown = medianRuns(runs);
  let streams: StreamComparison[] = [];
  if (o.streams && o.only !== 'micro') {
    log('stream benchmarks: watch fan-out and lease keepalive, etcd then tsetcd');
    streams = await compareStreams(log, o.quick);
  }
  let micro: MicroResult[] = [];
  if (o.micro) {
    log('micro-benchmarks: raft, wal, mvcc');
    micro = await runMicroBenchmarks();
  }

  if (runs.length > 0) printServerTables(o, runs, shown);
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
    streams,
    micro,
  };
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nResults written to ${outFile}`);

  const failed =
    runs.some((r) => r.error !== undefined || Object.values(r.loads).some((l) => 'failed' in l || l.errors > 0)) ||
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
