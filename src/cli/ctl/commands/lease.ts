// lease grant / revoke / timetolive / list / keep-alive (etcdctl lease_command.go).
import { EtcdError } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitBadConnection, ExitError, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { GoParseError, parseInt64 } from '../goparse.js';
import { mustClient } from '../global.js';
import { SimplePrinter } from '../printers/index.js';
import { hexId16 } from '../printers/gofmt.js';

/** etcdctl leaseFromArgs: a lease id in hex. */
function leaseFromArg(arg: string): bigint {
  try {
    return parseInt64(arg, 16);
  } catch (e) {
    if (e instanceof GoParseError) exitWithError(ExitBadArgs, `bad lease ID arg (${e.message}), expecting ID in Hex`);
    throw e;
  }
}

/** Runs one lease RPC; its error ends the command with `code` and `wrap`ped text, as etcdctl. */
async function leaseRpc<T>(p: Promise<T>, code: number, wrap: (m: string) => string = (m) => m): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(code, wrap(e.message));
    throw e;
  }
}

/** etcdctl uses context.TODO() for these calls: no deadline. */
const NO_TIMEOUT = 2 ** 31 - 1;

async function grantRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'lease grant command needs TTL argument');
  let ttl: bigint;
  try {
    ttl = parseInt64(ctx.args[0] as string, 10);
  } catch (e) {
    if (e instanceof GoParseError) exitWithError(ExitBadArgs, `bad TTL (${e.message})`);
    throw e;
  }
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    printer.grant(await leaseRpc(client.leaseGrant(ttl, 0n, { timeoutMs }), ExitError, (m) => `failed to grant lease (${m})`));
  } finally {
    client.close();
  }
}

async function revokeRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'lease revoke command needs 1 argument');
  const id = leaseFromArg(ctx.args[0] as string);
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    printer.revoke(id, await leaseRpc(client.leaseRevoke(id, { timeoutMs }), ExitError, (m) => `failed to revoke lease (${m})`));
  } finally {
    client.close();
  }
}

async function timeToLiveRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'lease timetolive command needs lease ID as argument');
  const keys = ctx.flags.bool('keys');
  const id = leaseFromArg(ctx.args[0] as string);
  const { client, printer } = await mustClient(ctx);
  try {
    printer.timeToLive(await leaseRpc(client.leaseTimeToLive(id, keys, { timeoutMs: NO_TIMEOUT }), ExitBadConnection), keys);
  } finally {
    client.close();
  }
}

async function listRun(ctx: RunContext): Promise<void> {
  const { client, printer } = await mustClient(ctx);
  try {
    printer.leases(await leaseRpc(client.leaseLeases({ timeoutMs: NO_TIMEOUT }), ExitBadConnection));
  } finally {
    client.close();
  }
}

async function keepAliveRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'lease keep-alive command needs lease ID as argument');
  const id = leaseFromArg(ctx.args[0] as string);
  const { client, printer } = await mustClient(ctx);
  try {
    if (ctx.flags.bool('once')) {
      printer.keepAlive(await leaseRpc(client.leaseKeepAliveOnce(id, { timeoutMs: NO_TIMEOUT }), ExitBadConnection));
      return;
    }
    try {
      for await (const r of client.leaseKeepAlive(id)) printer.keepAlive(r);
    } catch (e) {
      if (e instanceof EtcdError) exitWithError(ExitBadConnection, e.message);
      throw e;
    }
    if (printer instanceof SimplePrinter) ctx.io.stdout.write(`lease ${hexId16(id)} expired or revoked.\n`);
  } finally {
    client.close();
  }
}

export const leaseCommand: CommandSpec = {
  use: 'lease <subcommand>',
  short: 'Lease related commands',
  children: [
    { use: 'grant <ttl>', short: 'Creates leases', run: grantRun },
    {
      use: 'keep-alive [options] <leaseID>',
      short: 'Keeps leases alive (renew)',
      flags: [flag.bool('once', false, 'Resets the keep-alive time to its original value and exits immediately')],
      run: keepAliveRun,
    },
    { use: 'list', short: 'List all active leases', run: listRun },
    { use: 'revoke <leaseID>', short: 'Revokes leases', run: revokeRun },
    {
      use: 'timetolive <leaseID> [options]',
      short: 'Get lease information',
      flags: [flag.bool('keys', false, 'Get keys attached to this lease')],
      run: timeToLiveRun,
    },
  ],
};
