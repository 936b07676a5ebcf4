// member list (etcdctl member_command.go). add/remove/update/promote come with membership changes.
import type { CommandSpec, RunContext } from '../command.js';
import { mustClient } from '../global.js';
import { notImplemented } from './not-implemented.js';
import { rpc } from './util.js';

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
    notImplemented('add <memberName> [options]', 'Adds a member into the cluster'),
    {
      use: 'list',
      short: 'Lists all members in the cluster',
      long: `When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.
`,
      run: listRun,
    },
    notImplemented('promote <memberID>', 'Promotes a non-voting member in the cluster'),
    notImplemented('remove <memberID>', 'Removes a member from the cluster'),
    notImplemented('update <memberID> [options]', 'Updates a member in the cluster'),
  ],
};
