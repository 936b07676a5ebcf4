/**
 * Checks etcd makes only when a member bootstraps a NEW cluster from an empty data dir
 * (etcdserver.ServerConfig.VerifyBootstrap). They cannot run at flag-parsing time: on restart
 * etcd ignores --initial-cluster entirely, so a stale one must not stop a member from starting.
 * The server calls this when it finds no WAL and --initial-cluster-state is "new".
 */
import { invalidConfig } from './errors.js';
import type { ServerConfig } from './types.js';

export function verifyBootstrap(cfg: ServerConfig): void {
  const mine = cfg.initialClusterMembers.get(cfg.name);
  if (mine === undefined) {
    throw invalidConfig(`couldn't find local name ${JSON.stringify(cfg.name)} in the initial cluster configuration`);
  }
  // etcd also resolves DNS names to compare; we compare the canonical strings (both sides are
  // typically written the same way, and a mismatch is then reported rather than guessed at).
  const inCluster = new Set(mine.map((u) => u.href));
  const advertised = new Set(cfg.initialAdvertisePeerUrls.map((u) => u.href));
  const apStr = [...advertised].sort().join(',');
  const missingFromAdvertised = [...inCluster].filter((u) => !advertised.has(u));
  if (missingFromAdvertised.length > 0) {
    throw invalidConfig(
      `--initial-cluster has ${missingFromAdvertised.map((u) => `${cfg.name}=${u}`).join(',')} but missing from --initial-advertise-peer-urls=${apStr}`,
    );
  }
  const missingFromCluster = [...advertised].filter((u) => !inCluster.has(u));
  if (missingFromCluster.length > 0) {
    throw invalidConfig(
      `--initial-advertise-peer-urls has ${missingFromCluster.join(',')} but missing from --initial-cluster=${cfg.initialCluster}`,
    );
  }
  const seen = new Set<string>();
  for (const urls of cfg.initialClusterMembers.values()) {
    for (const u of urls) {
      if (seen.has(u.href)) throw invalidConfig(`initial cluster ${cfg.initialCluster} has duplicate url`);
      seen.add(u.href);
    }
  }
}
