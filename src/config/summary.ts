/**
 * The configuration fields etcd 3.4 logs once at startup ("starting an etcd server", embed/etcd.go),
 * with the same keys and value formats (durations as Go prints them, URL lists as arrays), so
 * operators and log tooling find the same facts in the same place. The build/version fields
 * (etcd-version, git-sha, go-version, ...) are the server's to add.
 */
import { formatGoDuration } from './goparse.js';
import type { ServerConfig } from './types.js';

export function startupLogFields(cfg: ServerConfig, memberInitialized: boolean): Record<string, unknown> {
  const hrefs = (us: readonly { href: string }[]): string[] => us.map((u) => u.href);
  const ac = cfg.autoCompaction;
  return {
    'member-initialized': memberInitialized,
    name: cfg.name,
    'data-dir': cfg.dataDir,
    'wal-dir': cfg.walDir,
    'wal-dir-dedicated': cfg.walDir,
    'member-dir': `${cfg.dataDir}/member`,
    'force-new-cluster': cfg.forceNewCluster,
    'heartbeat-interval': formatGoDuration(cfg.heartbeatIntervalMs),
    'election-timeout': formatGoDuration(cfg.electionTimeoutMs),
    'initial-election-tick-advance': cfg.initialElectionTickAdvance,
    'snapshot-count': cfg.snapshotCount,
    'max-wals': cfg.maxWals,
    'max-snapshots': cfg.maxSnapshots,
    'initial-advertise-peer-urls': hrefs(cfg.initialAdvertisePeerUrls),
    'listen-peer-urls': hrefs(cfg.listenPeerUrls),
    'advertise-client-urls': hrefs(cfg.advertiseClientUrls),
    'listen-client-urls': hrefs(cfg.listenClientUrls),
    'listen-metrics-urls': hrefs(cfg.listenMetricsUrls),
    cors: [...cfg.cors],
    'host-whitelist': [...cfg.hostWhitelist],
    'initial-cluster': cfg.initialCluster,
    'initial-cluster-state': cfg.initialClusterState,
    'initial-cluster-token': cfg.initialClusterToken,
    // etcd logs the quota in force (0 → the 2 GiB default); -1 stands for "no quota".
    'quota-backend-bytes': cfg.effectiveQuotaBackendBytes ?? cfg.quotaBackendBytes,
    'max-request-bytes': cfg.maxRequestBytes,
    'max-concurrent-streams': cfg.maxConcurrentStreams,
    'pre-vote': cfg.preVote,
    'initial-corrupt-check': cfg.experimentalInitialCorruptCheck,
    'corrupt-check-time-interval': formatGoDuration(cfg.experimentalCorruptCheckTimeMs),
    'auto-compaction-mode': ac.mode,
    // etcd prints the parsed retention as a Go duration in both modes (revisions then read as
    // nanoseconds, "1µs" for 1000); a revision count is clearer and loses nothing.
    'auto-compaction-retention': ac.mode === 'periodic' ? formatGoDuration(ac.periodMs) : String(ac.revisions),
    'discovery-url': '',
    'discovery-proxy': '',
  };
}
