// elect (etcdctl 3.4 elect_command.go): campaign with a proposal and hold leadership until
// SIGINT/SIGTERM (then resign), or with -l observe the election and print every leader value.
import { EtcdError } from '../../../client/index.js';
import { observeElection, Session } from '../../../client/concurrency.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitError, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { mustClient } from '../global.js';
import type { Printer } from '../printers/index.js';
import type { EtcdClient } from '../../../client/index.js';
import { NO_DEADLINE, onInterrupt, waitAbort } from './exec.js';

async function observe(client: EtcdClient, printer: Printer, election: string): Promise<void> {
  const session = await Session.create(client);
  const intr = onInterrupt();
  try {
    await observeElection(client, Buffer.from(election, 'utf8'), intr.signal, (r) => printer.get(r));
  } catch (e) {
    if (intr.signal.aborted) return;
    if (e instanceof EtcdError || (e instanceof Error && e.message === 'observer lost')) exitWithError(ExitError, 'elect: observer lost');
    throw e;
  } finally {
    intr.dispose();
    session.close();
  }
  if (!intr.signal.aborted) exitWithError(ExitError, 'elect: observer lost');
}

async function campaign(client: EtcdClient, printer: Printer, election: string, prop: string): Promise<void> {
  const session = await Session.create(client);
  const intr = onInterrupt();
  try {
    const resp = await client.campaign(Buffer.from(election, 'utf8'), session.lease, Buffer.from(prop, 'utf8'), { signal: intr.signal, timeoutMs: NO_DEADLINE });
    const leader = resp.leader;
    if (leader === undefined) exitWithError(ExitError, 'elect: campaign returned no leader key');
    printer.get(await client.range({ key: leader.key }, { signal: intr.signal, timeoutMs: NO_DEADLINE }));
    const ended = await Promise.race([waitAbort(intr.signal).then(() => 'signal' as const), session.done.then(() => 'expired' as const)]);
    if (ended === 'expired') exitWithError(ExitError, 'elect: session expired');
    await client.resign(leader, { timeoutMs: NO_DEADLINE });
  } finally {
    intr.dispose();
    session.close();
  }
}

async function electRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length !== 1 && ctx.args.length !== 2) {
    exitWithError(ExitBadArgs, 'elect takes one election name argument and an optional proposal argument');
  }
  const listen = ctx.flags.bool('listen');
  const { client, printer } = await mustClient(ctx);
  try {
    if (ctx.args.length === 1) {
      if (!listen) exitWithError(ExitBadArgs, 'no proposal argument but -l not set');
      await observe(client, printer, ctx.args[0] as string);
    } else {
      if (listen) exitWithError(ExitBadArgs, 'proposal given but -l is set');
      await campaign(client, printer, ctx.args[0] as string, ctx.args[1] as string);
    }
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(ExitError, e.message);
    throw e;
  } finally {
    client.close();
  }
}

export const electCommand: CommandSpec = {
  use: 'elect <election-name> [proposal]',
  short: 'Observes and participates in leader election',
  flags: [flag.bool('listen', false, 'observation mode', 'l')],
  run: electRun,
};
