// version: etcdctl's two lines (scripts parse them), then tsetcdctl's own version.
import { readFileSync } from 'node:fs';
import type { CommandSpec, RunContext } from '../command.js';
import { API_VERSION, ETCD_VERSION } from '../usage.js';

function ownVersion(): string {
  // dist/src/cli/ctl/commands/version.js -> package.json at the repository root.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function versionRun(ctx: RunContext): Promise<void> {
  ctx.io.stdout.write(`etcdctl version: ${ETCD_VERSION}\nAPI version: ${API_VERSION}\ntsetcdctl version: ${ownVersion()}\n`);
}

export const versionCommand: CommandSpec = {
  use: 'version',
  short: 'Prints the version of etcdctl',
  run: versionRun,
};
