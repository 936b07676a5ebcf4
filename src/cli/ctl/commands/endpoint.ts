// endpoint health / status / hashkv (etcdctl ep_command.go) and the --cluster endpoint list.
import { EtcdError } from '../../../client/index.js';
import type { CommandSpec, RunContext } from '../command.js';
import { CtlExit, ExitError, exitWithError } from '../exit.js';
import { flag } from '../flags.js';
import { formatDuration } from '../goparse.js';
import { clientConfig, mustClient, newClient } from '../global.js';
import type { EpHashKV, EpHealth, EpStatus } from '../printers/index.js';

/**
 * etcdctl endpointsFromCluster: --endpoints as given, or with --cluster every client URL of
 * the member list (asked of the --endpoints).
 */
export async function endpointsFromCluster(ctx: RunContext): Promise<string[]> {
  if (!ctx.flags.bool('cluster')) return ctx.flags.stringSlice('endpoints');
  // No credentials: etcdctl lists members without authenticating.
  const cfg = { ...(await clientConfig(ctx)), auth: undefined };
  const c = newClient(ctx, cfg);
  try {
    const membs = await c.memberList({ timeoutMs: ctx.flags.durationMs('command-timeout') });
    return membs.members.flatMap((m) => m.clientURLs);
  } catch (e) {
    if (e instanceof EtcdError) exitWithError(ExitError, `failed to fetch endpoints from etcd cluster member list: ${e.message}`);
    throw e;
  } finally {
    c.close();
  }
}

async function healthRun(ctx: RunContext): Promise<void> {
  const cfg = await clientConfig(ctx);
  const eps = await endpointsFromCluster(ctx);
  const timeoutMs = ctx.flags.durationMs('command-timeout');
  // One client per endpoint, checked in parallel; each reads a key linearizably (a quorum read).
  // Results are listed in the order they arrive, as etcdctl collects them from a channel.
  const results: EpHealth[] = [];
  await Promise.all(eps.map(async (ep) => results.push(await checkHealth(ep))));
  cfg.printer.endpointHealth(results);
  if (results.some((h) => h.error !== '')) exitWithError(ExitError, 'unhealthy cluster');

  async function checkHealth(ep: string): Promise<EpHealth> {
    let c;
    try {
      c = newClient(ctx, cfg, [ep]);
    } catch (e) {
      if (e instanceof CtlExit) return { ep, health: false, took: '', error: e.message };
      throw e;
    }
    try {
      await c.connect({ timeoutMs: cfg.dialTimeoutMs });
    } catch (e) {
      c.close();
      // A client that cannot be created (e.g. a wrong password) reports no time.
      if (e instanceof EtcdError) return { ep, health: false, took: '', error: e.message };
      throw e;
    }
    const start = process.hrtime.bigint();
    try {
      await c.range({ key: Buffer.from('health') }, { timeoutMs });
      return { ep, health: true, took: formatDuration(process.hrtime.bigint() - start), error: '' };
    } catch (e) {
      if (!(e instanceof EtcdError)) throw e;
      const took = formatDuration(process.hrtime.bigint() - start);
      // Permission denied still proves the request went through consensus.
      if (e.description === 'etcdserver: permission denied') return { ep, health: true, took, error: '' };
      return { ep, health: false, took, error: e.message };
    } finally {
      c.close();
    }
  }
}

async function statusRun(ctx: RunContext): Promise<void> {
  const { client, printer } = await mustClient(ctx);
  const list: EpStatus[] = [];
  let failed = false;
  try {
    for (const ep of await endpointsFromCluster(ctx)) {
      try {
        list.push({ ep, resp: await client.status(ep, { timeoutMs: ctx.flags.durationMs('command-timeout') }) });
      } catch (e) {
        if (!(e instanceof EtcdError)) throw e;
        failed = true;
        ctx.io.stderr.write(`Failed to get the status of endpoint ${ep} (${e.message})\n`);
      }
    }
  } finally {
    client.close();
  }
  printer.endpointStatus(list);
  if (failed) throw new CtlExit(ExitError, '', '');
}

async function hashKVRun(ctx: RunContext): Promise<void> {
  const { client, printer } = await mustClient(ctx);
  const list: EpHashKV[] = [];
  let lastErr: EtcdError | undefined;
  try {
    for (const ep of await endpointsFromCluster(ctx)) {
      try {
        list.push({ ep, resp: await client.hashKV(ep, ctx.flags.int64('rev'), { timeoutMs: ctx.flags.durationMs('command-timeout') }) });
      } catch (e) {
        if (!(e instanceof EtcdError)) throw e;
        lastErr = e;
        ctx.io.stderr.write(`Failed to get the hash of endpoint ${ep} (${e.message})\n`);
      }
    }
  } finally {
    client.close();
  }
  printer.endpointHashKV(list);
  if (lastErr !== undefined) exitWithError(ExitError, lastErr.message);
}

export const endpointCommand: CommandSpec = {
  use: 'endpoint <subcommand>',
  short: 'Endpoint related commands',
  persistentFlags: [flag.bool('cluster', false, 'use all endpoints from the cluster member list')],
  children: [
    { use: 'health', short: 'Checks the healthiness of endpoints specified in `--endpoints` flag', run: healthRun },
    {
      use: 'status',
      short: 'Prints out the status of endpoints specified in `--endpoints` flag',
      long: `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.
`,
      run: statusRun,
    },
    {
      use: 'hashkv',
      short: 'Prints the KV history hash for each endpoint in --endpoints',
      persistentFlags: [flag.int64('rev', 0n, 'maximum revision to hash (default: all revisions)')],
      run: hashKVRun,
    },
  ],
};
