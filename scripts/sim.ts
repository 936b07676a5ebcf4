// Runs the deterministic Raft simulator over many seeds.
//
//   npm run sim -- --seeds 1000            seeds 1..1000
//   npm run sim -- --seeds 100 --seed 42   seeds 42..141
//   npm run sim -- --seed 42 --trace       replay one seed and print its event trace
//
// Ends with "N seeds, V violations" and exits non-zero if any seed violated an invariant.
// A failing seed replays bit for bit: rerun it with --seed S --seeds 1 --trace.

import { optionsForSeed, runSeed } from '../test/raft/sim/world.js';
import type { RaftMutations } from '../src/raft/index.js';

interface Args {
  seeds: number;
  start: number;
  trace: boolean;
  mutation: keyof RaftMutations | null;
  chaos: number | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, start: 1, trace: false, mutation: null, chaos: null };
  let seedGiven = false;
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seeds') {
      args.seeds = Number(next());
      seedsGiven = true;
    } else if (a === '--seed') {
      args.start = Number(next());
      seedGiven = true;
    } else if (a === '--trace') args.trace = true;
    else if (a === '--mutation') args.mutation = next() as keyof RaftMutations;
    else if (a === '--chaos') args.chaos = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(args.seeds) || args.seeds < 1) throw new Error('--seeds must be a positive integer');
  if (!Number.isSafeInteger(args.start) || args.start < 0) throw new Error('--seed must be a non-negative integer');
  // A lone --seed means "replay that one seed".
  if (seedGiven && !seedsGiven) args.seeds = 1;
  return args;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const mutations: RaftMutations | undefined = args.mutation ? { [args.mutation]: true } : undefined;
  let violations = 0;
  let committed = 0;
  let reads = 0;
  const t0 = process.hrtime.bigint();
  for (let s = args.start; s < args.start + args.seeds; s++) {
    const options = optionsForSeed(s, mutations);
    if (args.chaos !== null) options.chaosSteps = args.chaos;
    const r = runSeed(s, { options, trace: args.trace });
    committed += r.committed;
    reads += r.reads;
    if (args.trace) for (const line of r.trace) console.log(line);
    if (r.violation !== null) {
      violations++;
      console.log(`seed ${s}: VIOLATION ${r.violation}`);
      const extra = `${args.mutation ? ` --mutation ${args.mutation}` : ''}${args.chaos !== null ? ` --chaos ${args.chaos}` : ''}`;
      console.log(`  replay: npm run sim -- --seed ${s} --trace${extra}`);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `# ${(args.seeds / secs).toFixed(0)} seeds/s, ${committed} entries committed, ${reads} linearizable reads checked, ${secs.toFixed(1)}s`,
  );
  console.log(`${args.seeds} seeds, ${violations} violations`);
  return violations === 0 ? 0 : 1;
}

process.exitCode = main();
