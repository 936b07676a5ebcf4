// compaction, defrag, alarm (etcdctl compaction_command.go, defrag_command.go, alarm_command.go).
import { AlarmType } from '../../../gen/etcdserverpb/rpc_pb.js';
import { EtcdError } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitBadFeature, ExitError, CtlExit, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { GoParseError, parseInt64 } from '../goparse.js';
import { mustClient } from '../global.js';
import { endpointsFromCluster } from './endpoint.js';
import { rpc } from './util.js';

async function compactionRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'compaction command needs 1 argument');
  let rev: bigint;
  try {
    rev = parseInt64(ctx.args[0] as string, 10);
  } catch (e) {
    if (e instanceof GoParseError) exitWithError(ExitError, e.message);
    throw e;
  }
  const { client } = await mustClient(ctx);
  try {
    await rpc(client.compact({ revision: rev, physical: ctx.flags.bool('physical') }, { timeoutMs: ctx.flags.durationMs('command-timeout') }));
  } finally {
    client.close();
  }
  ctx.io.stdout.write(`compacted revision ${rev}\n`);
}

export const compactionCommand: CommandSpec = {
  use: 'compaction [options] <revision>',
  short: 'Compacts the event history in etcd',
  flags: [flag.bool('physical', false, "'true' to wait for compaction to physically remove all old revisions")],
  run: compactionRun,
};

async function defragRun(ctx: RunContext): Promise<void> {
  if (ctx.flags.string('data-dir') !== '') {
    // Offline defrag opens a bbolt file directly; tsetcdutl will own that.
    exitWithError(ExitBadFeature, 'defrag --data-dir is not implemented in tsetcdctl yet');
  }
  const { client } = await mustClient(ctx);
  let failures = 0;
  try {
    for (const ep of await endpointsFromCluster(ctx)) {
      try {
        await client.defragment(ep, { timeoutMs: ctx.flags.durationMs('command-timeout') });
        ctx.io.stdout.write(`Finished defragmenting etcd member[${ep}]\n`);
      } catch (e) {
        if (!(e instanceof EtcdError)) throw e;
        ctx.io.stderr.write(`Failed to defragment etcd member[${ep}] (${e.message})\n`);
        failures++;
      }
    }
  } finally {
    client.close();
  }
  if (failures !== 0) throw new CtlExit(ExitError, '', '');
}

export const defragCommand: CommandSpec = {
  use: 'defrag',
  short: 'Defragments the storage of the etcd members with given endpoints',
  flags: [flag.string('data-dir', '', 'Optional. If present, defragments a data directory not in use by etcd.')],
  persistentFlags: [flag.bool('cluster', false, 'use all endpoints from the cluster member list')],
  run: defragRun,
};

async function alarmListRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 0) exitWithError(ExitBadArgs, 'alarm list command accepts no arguments');
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    printer.alarm(await rpc(client.alarmList({ timeoutMs })));
  } finally {
    client.close();
  }
}

async function alarmDisarmRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 0) exitWithError(ExitBadArgs, 'alarm disarm command accepts no arguments');
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    // An empty AlarmMember: etcd disarms every alarm.
    printer.alarm(await rpc(client.alarmDisarm(0n, AlarmType.NONE, { timeoutMs })));
  } finally {
    client.close();
  }
}

export const alarmCommand: CommandSpec = {
  use: 'alarm <subcommand>',
  short: 'Alarm related commands',
  children: [
    { use: 'disarm', short: 'Disarms all alarms', run: alarmDisarmRun },
    { use: 'list', short: 'Lists all alarms', run: alarmListRun },
  ],
};
