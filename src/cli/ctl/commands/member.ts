// member add / remove / update / promote / list (etcdctl member_command.go).
import { PeerURLError, type EtcdClient } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitError, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { goQuoteString } from '../goparse.js';
import { mustClient } from '../global.js';
import { isOutputFormat } from '../printers/index.js';
import { newMembershipPrinter, type MembershipPrinter } from '../printers/membership.js';
import { rpc } from './util.js';

/** strconv.ParseUint(s, 16, 64), with Go's error text. */
export function parseHexUint64(s: string): bigint {
  const fail = (why: string): never => {
    throw new HexIdError(`strconv.ParseUint: parsing ${goQuoteString(s)}: ${why}`);
  };
  if (s === '') fail('invalid syntax');
  let v = 0n;
  for (const ch of s) {
    const d = /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : -1;
    if (d < 0) fail('invalid syntax');
    // Go reports an overflow as soon as it happens, before looking at the rest.
    v = v * 16n + BigInt(d);
    if (v >= 2n ** 64n) fail('value out of range');
  }
  return v;
}

export class HexIdError extends Error {}

/** A member ID argument as remove/update/promote take it: exactly one, in hex. */
function memberIdArg(ctx: RunContext): bigint {
  if (ctx.args.length !== 1) exitWithError(ExitBadArgs, 'member ID is not provided');
  try {
    return parseHexUint64(ctx.args[0] as string);
  } catch (e) {
    if (e instanceof HexIdError) exitWithError(ExitBadArgs, `bad member ID arg (${e.message}), expecting ID in Hex`);
    throw e;
  }
}

/**
 * Connects as every command does (environment, output format, credentials) and returns the
 * client with the printer for membership results.
 */
async function connect(ctx: RunContext): Promise<{ client: EtcdClient; printer: MembershipPrinter; simple: boolean }> {
  const { client } = await mustClient(ctx);
  const format = ctx.flags.string('write-out');
  // mustClient has already refused any other format.
  if (!isOutputFormat(format)) throw new Error(`unexpected output format ${format}`);
  return { client, printer: newMembershipPrinter(format, ctx.io.stdout), simple: format === 'simple' };
}

/** Runs a membership call; a refused peer URL ends the command like a server error does. */
async function change<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await rpc(p());
  } catch (e) {
    if (e instanceof PeerURLError) exitWithError(ExitError, e.message);
    throw e;
  }
}

async function addRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length < 1) exitWithError(ExitBadArgs, 'member name not provided');
  if (ctx.args.length > 1) {
    // etcdctl hints at the flag for every argument that looks like a URL.
    const hints = ctx.args.filter((a) => a.toLowerCase().startsWith('http')).map((a) => `, did you mean --peer-urls=${a}`);
    exitWithError(ExitBadArgs, `too many arguments${hints.join('')}`);
  }
  const name = ctx.args[0] as string;
  const peerURLs = ctx.flags.string('peer-urls');
  if (peerURLs === '') exitWithError(ExitBadArgs, 'member peer urls not provided');
  const { client, printer, simple } = await connect(ctx);
  let resp;
  try {
    resp = await change(() => client.memberAdd(peerURLs.split(','), ctx.flags.bool('learner'), { timeoutMs: ctx.flags.durationMs('command-timeout') }));
  } finally {
    client.close();
  }
  printer.memberAdd(resp);
  if (!simple) return;
  // The settings for starting the new member: every peer URL of the cluster, under the new
  // member's name for its own (it has no name in the cluster until it starts).
  const newId = resp.member?.ID;
  const conf: string[] = [];
  for (const m of resp.members) {
    for (const u of m.peerURLs) conf.push(`${m.ID === newId ? name : m.name}=${u}`);
  }
  ctx.io.stdout.write('\n' +
    `ETCD_NAME=${goQuoteString(name)}\n` +
    `ETCD_INITIAL_CLUSTER=${goQuoteString(conf.join(','))}\n` +
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=${goQuoteString(peerURLs)}\n` +
    'ETCD_INITIAL_CLUSTER_STATE="existing"\n');
}

async function removeRun(ctx: RunContext): Promise<void> {
  const id = memberIdArg(ctx);
  const { client, printer } = await connect(ctx);
  let resp;
  try {
    resp = await rpc(client.memberRemove(id, { timeoutMs: ctx.flags.durationMs('command-timeout') }));
  } finally {
    client.close();
  }
  printer.memberRemove(id, resp);
}

async function updateRun(ctx: RunContext): Promise<void> {
  const id = memberIdArg(ctx);
  const peerURLs = ctx.flags.string('peer-urls');
  if (peerURLs === '') exitWithError(ExitBadArgs, 'member peer urls not provided');
  const { client, printer } = await connect(ctx);
  let resp;
  try {
    resp = await change(() => client.memberUpdate(id, peerURLs.split(','), { timeoutMs: ctx.flags.durationMs('command-timeout') }));
  } finally {
    client.close();
  }
  printer.memberUpdate(id, resp);
}

async function promoteRun(ctx: RunContext): Promise<void> {
  const id = memberIdArg(ctx);
  const { client, printer } = await connect(ctx);
  let resp;
  try {
    resp = await rpc(client.memberPromote(id, { timeoutMs: ctx.flags.durationMs('command-timeout') }));
  } finally {
    client.close();
  }
  printer.memberPromote(id, resp);
}

async function listRun(ctx: RunContext): Promise<void> {
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  const { client, printer } = await mustClient(ctx);
  try {
    printer.memberList(await rpc(client.memberList({ timeoutMs })));
  } finally {
    client.close();
  }
}

export const memberCommand: CommandSpec = {
  use: 'member <subcommand>',
  short: 'Membership related commands',
  children: [
    {
      use: 'add <memberName> [options]',
      short: 'Adds a member into the cluster',
      flags: [
        flag.string('peer-urls', '', 'comma separated peer URLs for the new member.'),
        flag.bool('learner', false, 'indicates if the new member is raft learner'),
      ],
      run: addRun,
    },
    {
      use: 'list',
      short: 'Lists all members in the cluster',
      long: `When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.
`,
      run: listRun,
    },
    {
      use: 'promote <memberID>',
      short: 'Promotes a non-voting member in the cluster',
      long: `Promotes a non-voting learner member to a voting one in the cluster.
`,
      run: promoteRun,
    },
    { use: 'remove <memberID>', short: 'Removes a member from the cluster', run: removeRun },
    {
      use: 'update <memberID> [options]',
      short: 'Updates a member in the cluster',
      flags: [flag.string('peer-urls', '', 'comma separated peer URLs for the updated member.')],
      run: updateRun,
    },
  ],
};
