// etcdctl commands tsetcdctl does not have yet. They are registered under their real names so
// that prefix matching resolves exactly as in etcdctl ("l" stays ambiguous between lease and
// lock), and running one says so and exits with ExitBadFeature.
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadFeature, exitWithError } from '../exit.js';

export function notImplemented(use: string, short: string, children?: CommandSpec[], long?: string): CommandSpec {
  const spec: CommandSpec = { use, short };
  if (long !== undefined) spec.long = long;
  if (children !== undefined) spec.children = children;
  else spec.run = async (ctx: RunContext): Promise<void> => {
    exitWithError(ExitBadFeature, `"${ctx.cmd.path.replace(/^\S+ /, '')}" is not implemented in tsetcdctl yet`);
  };
  return spec;
}

/** The rest of etcdctl 3.4's command tree, with its short descriptions. */
export const NOT_IMPLEMENTED: CommandSpec[] = [
  notImplemented('auth <enable or disable>', 'Enable or disable authentication', [
    notImplemented('disable', 'Disables authentication'),
    notImplemented('enable', 'Enables authentication'),
  ]),
  notImplemented('check <subcommand>', 'commands for checking properties of the etcd cluster', [
    notImplemented('datascale [options]', 'Check the memory usage of holding data for different workloads on a given server endpoint.'),
    notImplemented('perf [options]', 'Check the performance of the etcd cluster'),
  ]),
  notImplemented('completion', 'Generate the autocompletion script for the specified shell', [
    notImplemented('bash', 'Generate the autocompletion script for bash'),
    notImplemented('fish', 'Generate the autocompletion script for fish'),
    notImplemented('powershell', 'Generate the autocompletion script for powershell'),
    notImplemented('zsh', 'Generate the autocompletion script for zsh'),
  ], `Generate the autocompletion script for etcdctl for the specified shell.
See each sub-command's help for details on how to use the generated script.
`),
  notImplemented('make-mirror [options] <destination>', 'Makes a mirror at the destination etcd cluster'),
  notImplemented('migrate', 'Migrates keys in a v2 store to a mvcc store'),
  notImplemented('role <subcommand>', 'Role related commands', [
    notImplemented('add <role name>', 'Adds a new role'),
    notImplemented('delete <role name>', 'Deletes a role'),
    notImplemented('get <role name>', 'Gets detailed information of a role'),
    notImplemented('grant-permission [options] <role name> <permission type> <key> [endkey]', 'Grants a key to a role'),
    notImplemented('list', 'Lists all roles'),
    notImplemented('revoke-permission <role name> <key> [endkey]', 'Revokes a key from a role'),
  ]),
  notImplemented('snapshot <subcommand>', 'Manages etcd node snapshots', [
    notImplemented('restore <filename> [options]', 'Restores an etcd member snapshot to an etcd directory'),
    notImplemented('save <filename>', 'Stores an etcd node backend snapshot to a given file'),
    notImplemented('status <filename>', 'Gets backend snapshot status of a given file'),
  ]),
  notImplemented('user <subcommand>', 'User related commands', [
    notImplemented('add <user name or user:password> [options]', 'Adds a new user'),
    notImplemented('delete <user name>', 'Deletes a user'),
    notImplemented('get <user name> [options]', 'Gets detailed information of a user'),
    notImplemented('grant-role <user name> <role>', 'Grants a role to a user'),
    notImplemented('list', 'Lists all users'),
    notImplemented('passwd <user name>', 'Changes password of user'),
    notImplemented('revoke-role <user name> <role>', 'Revokes a role from a user'),
  ]),
];
