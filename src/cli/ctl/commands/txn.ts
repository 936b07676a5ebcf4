// txn [-i]: etcdctl txn_command.go. The client connects before the input is read, as etcdctl.
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { mustClient } from '../global.js';
import { stdinReader } from '../io.js';
import { readTxn } from './txn-grammar.js';
import { rpc } from './util.js';

async function txnRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 0) exitWithError(ExitBadArgs, 'txn command does not accept argument');
  const interactive = ctx.flags.bool('interactive');
  const { client, printer } = await mustClient(ctx);
  try {
    const input = await readTxn(stdinReader(ctx.io), (s) => {
      if (interactive) ctx.io.stdout.write(s + '\n');
    }, ctx.io.stderr);
    // etcdctl commits with context.Background(): no command timeout on txn.
    const resp = await rpc(client.txn(input, { timeoutMs: 2 ** 31 - 1 }));
    printer.txn(resp);
  } finally {
    client.close();
  }
}

export const txnCommand: CommandSpec = {
  use: 'txn [options]',
  short: 'Txn processes all the requests in one transaction',
  flags: [flag.bool('interactive', false, 'Input transaction in interactive mode', 'i')],
  run: txnRun,
};
