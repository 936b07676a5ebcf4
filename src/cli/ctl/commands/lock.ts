// lock (etcdctl 3.4 lock_command.go): takes a named lock with a session lease (--ttl), then
// either prints the lock key and holds it until SIGINT/SIGTERM, or runs a command with
// ETCD_LOCK_KEY / ETCD_LOCK_REV and releases the lock when it ends.
import { EtcdError } from '../../../client/index.js';
import { Session } from '../../../client/concurrency.js';
import type { CommandSpec, RunContext } from '../command.js';
import { ExitBadArgs, ExitError, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { mustClient } from '../global.js';
import { NO_DEADLINE, onInterrupt, runCommand, waitAbort } from './exec.js';

async function lockRun(ctx: RunContext): Promise<void> {
  if (ctx.args.length === 0) exitWithError(ExitBadArgs, 'lock takes a lock name argument and an optional command to execute');
  const ttl = Number(ctx.flags.int64('ttl'));
  const { client, printer } = await mustClient(ctx);
  const intr = onInterrupt();
  let session: Session | undefined;
  try {
    session = await Session.create(client, ttl);
    const lock = await client.lock(Buffer.from(ctx.args[0] as string, 'utf8'), session.lease, { signal: intr.signal, timeoutMs: NO_DEADLINE });
    const key = lock.key;
    const cmdArgs = ctx.args.slice(1);
    if (cmdArgs.length > 0) {
      const env = {
        ETCD_LOCK_KEY: Buffer.from(key).toString('utf8'),
        ETCD_LOCK_REV: (lock.header?.revision ?? 0n).toString(),
        ...process.env,
        ...ctx.io.env,
      };
      const err = await runCommand(ctx, cmdArgs, env);
      let unlockErr: unknown;
      try {
        await client.unlock(key, { timeoutMs: NO_DEADLINE });
      } catch (e) {
        unlockErr = e;
      }
      if (err !== undefined) exitWithError(ExitError, err);
      if (unlockErr !== undefined) throw unlockErr;
      return;
    }
    const got = await client.range({ key }, { signal: intr.signal, timeoutMs: NO_DEADLINE });
    if (got.kvs.length === 0) exitWithError(ExitError, 'lock lost on init');
    printer.get(got);
    const ended = await Promise.race([waitAbort(intr.signal).then(() => 'signal' as const), session.done.then(() => 'expired' as const)]);
    if (ended === 'expired') exitWithError(ExitError, 'session expired');
    await client.unlock(key, { timeoutMs: NO_DEADLINE });
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(ExitError, e.message);
    throw e;
  } finally {
    intr.dispose();
    session?.close();
    client.close();
  }
}

export const lockCommand: CommandSpec = {
  use: 'lock <lockname> [exec-command arg1 arg2 ...]',
  short: 'Acquires a named lock',
  flags: [flag.int64('ttl', 10n, 'timeout for session')],
  run: lockRun,
};
