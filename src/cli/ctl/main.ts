// tsetcdctl: etcdctl 3.4's command line, on tsetcd's client library.
// `run` is the whole program minus the process: arguments, environment and streams come in,
// an exit code comes out, so tests can drive it in-process as well as through bin/tsetcdctl.
import { Command, find, type CommandSpec, type RunContext } from './command.js';
import { alarmCommand, compactionCommand, defragCommand } from './commands/maintenance.js';
import { delCommand, getCommand, putCommand } from './commands/kv.js';
import { electCommand } from './commands/elect.js';
import { endpointCommand } from './commands/endpoint.js';
import { lockCommand } from './commands/lock.js';
import { watchCommand } from './commands/watch.js';
import { leaseCommand } from './commands/lease.js';
import { memberCommand } from './commands/member.js';
import { moveLeaderCommand } from './commands/move-leader.js';
import { NOT_IMPLEMENTED } from './commands/not-implemented.js';
import { txnCommand } from './commands/txn.js';
import { versionCommand } from './commands/version.js';
import { CtlExit, ExitError } from './exit.js';
import { FlagError } from './flags.js';
import { GLOBAL_FLAGS } from './global.js';
import type { CtlIO } from './io.js';
import { usageText } from './usage.js';

async function helpRun(ctx: RunContext): Promise<void> {
  const root = ctx.cmd.root();
  const f = find(root, ctx.args);
  if (!f.ok) {
    ctx.io.stderr.write(`Unknown help topic [\`${ctx.args.join(' ')}\`]\n`);
    ctx.io.stdout.write(usageText(root, false));
    return;
  }
  ctx.io.stdout.write(usageText(f.cmd));
}

export const ROOT: CommandSpec = {
  // The root keeps etcdctl's name: help text and error messages match etcdctl's byte for byte.
  use: 'etcdctl',
  short: 'A simple command line client for etcd3.',
  persistentFlags: GLOBAL_FLAGS,
  children: [
    getCommand, putCommand, delCommand, txnCommand, compactionCommand, alarmCommand, defragCommand,
    endpointCommand, versionCommand, memberCommand, moveLeaderCommand, leaseCommand,
    watchCommand, lockCommand, electCommand,
    { use: 'help [command]', short: 'Help about any command', run: helpRun },
    ...NOT_IMPLEMENTED,
  ],
};

export async function run(argv: readonly string[], io: CtlIO): Promise<number> {
  // etcdctl reads ETCDCTL_API itself and hides it from the ETCDCTL_* flag parsing.
  const env = { ...io.env };
  const api = env['ETCDCTL_API'];
  delete env['ETCDCTL_API'];
  if (api !== undefined && api !== '' && api !== '3') {
    io.stderr.write(api === '2' ? 'tsetcdctl speaks the v3 API only (ETCDCTL_API=2 is not supported)\n' : `unsupported API version ${api}\n`);
    return ExitError;
  }
  const cio: CtlIO = { ...io, env };
  const root = new Command(ROOT);
  try {
    const f = find(root, argv);
    if (!f.ok) {
      io.stderr.write(`Error: ${f.error}\nRun '${f.cmd.path} --help' for usage.\n`);
      throw new CtlExit(ExitError, f.error);
    }
    const cmd = f.cmd;
    const flags = cmd.flagSet();
    try {
      flags.parse(f.args);
    } catch (e) {
      if (!(e instanceof FlagError)) throw e;
      // cobra: the error, the usage (etcdctl writes it to stdout), an empty line; then
      // etcdctl's own "Error:" line.
      io.stderr.write(`Error: ${e.message}\n`);
      io.stdout.write(usageText(cmd));
      io.stderr.write('\n');
      throw new CtlExit(ExitError, e.message);
    }
    if (flags.bool('help') || cmd.spec.run === undefined) {
      io.stdout.write(usageText(cmd));
      return 0;
    }
    await cmd.spec.run({ cmd, args: flags.args, flags, io: cio, argv: ['etcdctl', ...argv] });
    return 0;
  } catch (e) {
    if (e instanceof CtlExit) {
      if (e.raw !== undefined) io.stderr.write(e.raw);
      else io.stderr.write(`Error: ${e.message}\n`);
      return e.code;
    }
    io.stderr.write(`panic: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  }
}

/** Exit status of a process killed by SIGPIPE, as a shell reports it (128 + 13). */
const EXIT_SIGPIPE = 141;

/** Entry point of bin/tsetcdctl. */
export async function main(): Promise<void> {
  // `tsetcdctl get --prefix '' | head`: etcdctl dies of SIGPIPE when the reader goes away;
  // Node ignores the signal and reports EPIPE, so end the same way, silently.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_SIGPIPE);
      throw e;
    });
  }
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    now: () => new Date(),
  });
  // Let piped output drain before exiting; open connections must not keep us alive.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
