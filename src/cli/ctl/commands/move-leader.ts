// move-leader <transferee-member-id> (etcdctl move_leader_command.go): find the leader among
// --endpoints by asking each for its status, then ask the leader to hand over.
import { EtcdError, type EtcdClient } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitBadConnection, ExitError, exitWithError } from '../exit.js';
import { clientConfig, newClient } from '../global.js';
import { isOutputFormat } from '../printers/index.js';
import { newMembershipPrinter } from '../printers/membership.js';
import { HexIdError, parseHexUint64 } from './member.js';

/** etcdctl's mustClient: a client for these endpoints, authenticated when credentials are set. */
async function connected(ctx: RunContext, endpoints: string[]): Promise<EtcdClient> {
  const cfg = await clientConfig(ctx);
  const c = newClient(ctx, cfg, endpoints);
  try {
    await c.connect({ timeoutMs: cfg.dialTimeoutMs });
  } catch (e) {
    c.close();
    if (e instanceof EtcdError) exitWithError(ExitBadConnection, e.message);
    throw e;
  }
  return c;
}

async function moveLeaderRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'move-leader command needs 1 argument');
  let target: bigint;
  try {
    target = parseHexUint64(ctx.args[0] as string);
  } catch (e) {
    if (e instanceof HexIdError) exitWithError(ExitBadArgs, e.message);
    throw e;
  }
  const cfg = await clientConfig(ctx);
  // etcdctl makes (and drops) a client for all endpoints first: it fails the same way on a bad
  // configuration or credentials.
  (await connected(ctx, cfg.endpoints)).close();
  const eps = cfg.endpoints;
  // One command timeout covers the whole search and the transfer.
  const deadline = Date.now() + ctx.flags.durationMs('command-timeout');
  const remaining = (): number => Math.max(0, deadline - Date.now());

  let leader: { client: EtcdClient; id: bigint } | undefined;
  for (const ep of eps) {
    const c = await connected(ctx, [ep]);
    let status;
    try {
      status = await c.status(ep, { timeoutMs: remaining() });
    } catch (e) {
      c.close();
      if (e instanceof EtcdError) exitWithError(ExitError, e.message);
      throw e;
    }
    if ((status.header?.memberId ?? 0n) === status.leader) {
      leader = { client: c, id: status.leader };
      break;
    }
    c.close();
  }
  if (leader === undefined) exitWithError(ExitBadArgs, `no leader endpoint given at [${eps.join(' ')}]`);

  let resp;
  try {
    resp = await leader.client.moveLeader(target, { timeoutMs: remaining() });
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(ExitError, e.message);
    throw e;
  } finally {
    leader.client.close();
  }
  const format = ctx.flags.string('write-out');
  if (!isOutputFormat(format)) throw new Error(`unexpected output format ${format}`);
  newMembershipPrinter(format, ctx.io.stdout).moveLeader(leader.id, target, resp);
}

export const moveLeaderCommand: CommandSpec = {
  use: 'move-leader <transferee-member-id>',
  short: 'Transfers leadership to another etcd cluster member.',
  run: moveLeaderRun,
};
