/**
 * From raw flag values (defaults overlaid with env/flags, or with the config file) to a validated
 * ServerConfig: etcd's embed.Config.Validate checks in etcd's order (so the first error reported
 * is etcd's), then the defaults etcd fills in at startup (data dir, initial cluster from the name,
 * snapshot count 0, quota 0), then tsetcd's own rules about flags it does not implement.
 */
import { invalidConfig } from './errors.js';
import { resolveAutoCompaction } from './compaction.js';
import { GoParseError } from './goparse.js';
import { resolveLogging } from './logging-flags.js';
import type { ConfigNotice } from './notice.js';
import { FlagReader, type RawConfig } from './reader.js';
import { flagStatusNotices } from './status.js';
import { validateLikeEtcd } from './validate.js';
import type { ServerConfig, TlsConfig } from './types.js';
import { formatInitialCluster, parseInitialCluster, type ServerURL } from './urls.js';

export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** Above this etcd warns that performance may degrade. */
export const MAX_QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;
const DEFAULT_SNAPSHOT_COUNT = 100000;
const DEFAULT_INITIAL_CLUSTER = 'default=http://localhost:2380';

export function resolveConfig(raw: RawConfig): ServerConfig {
  const notices: ConfigNotice[] = [...raw.notices];
  const r = new FlagReader(raw);
  const str = r.str.bind(r);
  const bool = r.bool.bind(r);
  const num = r.num.bind(r);
  const list = r.list.bind(r);
  const urls = r.urls.bind(r);

  // --- logging (etcd validates it first, since the logger reports everything else)
  const logging = resolveLogging(r, notices);

  validateLikeEtcd(r);

  // --- what etcd settles at startup
  const autoCompaction = resolveAutoCompaction(str('auto-compaction-mode'), str('auto-compaction-retention'));
  let initialCluster = str('initial-cluster');
  const tickMs = num('heartbeat-interval');
  const electionMs = num('election-timeout');
  const name = str('name');
  const advertisePeer = urls('initial-advertise-peer-urls');
  if (name !== 'default' && initialCluster === DEFAULT_INITIAL_CLUSTER && advertisePeer.length > 0) {
    // "tsetcd --name n1" alone must bootstrap n1 at its own advertised peer URLs.
    initialCluster = advertisePeer.map((u) => `${name}=${u.href}`).join(',');
  }
  let initialClusterMembers: Map<string, ServerURL[]>;
  try {
    initialClusterMembers = parseInitialCluster(initialCluster);
  } catch (e) {
    if (!(e instanceof GoParseError)) throw e;
    throw invalidConfig(`invalid --initial-cluster ${JSON.stringify(initialCluster)}: ${e.message}`);
  }
  let dataDir = str('data-dir');
  if (dataDir === '') {
    dataDir = `${name}.tsetcd`;
    notices.push({ level: 'warn', msg: "'data-dir' was empty; using default", fields: { 'data-dir': dataDir } });
  }
  let snapshotCount = num('snapshot-count');
  if (snapshotCount === 0) {
    notices.push({
      level: 'info', msg: 'updating snapshot-count to default',
      fields: { 'given-snapshot-count': 0, 'updated-snapshot-count': DEFAULT_SNAPSHOT_COUNT },
    });
    snapshotCount = DEFAULT_SNAPSHOT_COUNT;
  }
  const quota = num('quota-backend-bytes');
  const effectiveQuota = quota < 0 ? null : quota === 0 ? DEFAULT_QUOTA_BACKEND_BYTES : quota;
  if (effectiveQuota !== null && effectiveQuota > MAX_QUOTA_BACKEND_BYTES) {
    notices.push({
      level: 'warn', msg: 'quota exceeds the maximum value',
      fields: { 'quota-size-bytes': effectiveQuota, 'quota-maximum-size-bytes': MAX_QUOTA_BACKEND_BYTES },
    });
  }

  // --- tsetcd's limits
  for (const flag of ['listen-peer-urls', 'listen-client-urls', 'listen-metrics-urls']) {
    const unix = urls(flag).find((u) => u.scheme === 'unix' || u.scheme === 'unixs');
    if (unix !== undefined) throw invalidConfig(`--${flag}: unix sockets are not supported by tsetcd yet (${unix.href})`);
  }
  notices.push(...flagStatusNotices(r));

  const tls = (side: 'client' | 'peer'): TlsConfig =>
    side === 'client'
      ? {
          certFile: str('cert-file'), keyFile: str('key-file'), trustedCaFile: str('trusted-ca-file'),
          clientCertAuth: bool('client-cert-auth'), autoTls: bool('auto-tls'), crlFile: str('client-crl-file'),
          allowedHostname: str('client-cert-allowed-hostname'), allowedCn: '',
        }
      : {
          certFile: str('peer-cert-file'), keyFile: str('peer-key-file'), trustedCaFile: str('peer-trusted-ca-file'),
          clientCertAuth: bool('peer-client-cert-auth'), autoTls: bool('peer-auto-tls'), crlFile: str('peer-crl-file'),
          allowedHostname: str('peer-cert-allowed-hostname'), allowedCn: str('peer-cert-allowed-cn'),
        };

  return {
    name,
    dataDir,
    walDir: str('wal-dir'),
    snapshotCount,
    maxSnapshots: num('max-snapshots'),
    maxWals: num('max-wals'),
    heartbeatIntervalMs: tickMs,
    electionTimeoutMs: electionMs,
    initialElectionTickAdvance: bool('initial-election-tick-advance'),
    quotaBackendBytes: quota,
    effectiveQuotaBackendBytes: effectiveQuota,
    backendBatchIntervalMs: num('backend-batch-interval'),
    backendBatchLimit: num('backend-batch-limit'),
    maxTxnOps: num('max-txn-ops'),
    maxRequestBytes: num('max-request-bytes'),
    maxConcurrentStreams: num('max-concurrent-streams'),
    grpcKeepAliveMinTimeMs: num('grpc-keepalive-min-time'),
    grpcKeepAliveIntervalMs: num('grpc-keepalive-interval'),
    grpcKeepAliveTimeoutMs: num('grpc-keepalive-timeout'),
    listenPeerUrls: urls('listen-peer-urls'),
    listenClientUrls: urls('listen-client-urls'),
    listenMetricsUrls: urls('listen-metrics-urls'),
    initialAdvertisePeerUrls: advertisePeer,
    advertiseClientUrls: urls('advertise-client-urls'),
    initialCluster: formatInitialCluster(initialClusterMembers),
    initialClusterMembers,
    initialClusterState: str('initial-cluster-state') as 'new' | 'existing',
    initialClusterToken: str('initial-cluster-token'),
    strictReconfigCheck: bool('strict-reconfig-check'),
    preVote: bool('pre-vote'),
    enableV2: bool('enable-v2'),
    forceNewCluster: bool('force-new-cluster'),
    autoCompaction,
    clientTls: tls('client'),
    peerTls: tls('peer'),
    peerSkipClientSanVerification: bool('experimental-peer-skip-client-san-verification'),
    cipherSuites: list('cipher-suites'),
    cors: list('cors'),
    hostWhitelist: list('host-whitelist'),
    authToken: str('auth-token'),
    bcryptCost: num('bcrypt-cost'),
    authTokenTtlSeconds: num('auth-token-ttl'),
    enablePprof: bool('enable-pprof'),
    metrics: str('metrics') as 'basic' | 'extensive',
    logger: 'zap',
    logLevel: logging.level,
    logOutputs: logging.outputs,
    experimentalInitialCorruptCheck: bool('experimental-initial-corrupt-check'),
    experimentalCorruptCheckTimeMs: num('experimental-corrupt-check-time'),
    experimentalEnableLeaseCheckpoint: bool('experimental-enable-lease-checkpoint'),
    experimentalEnableLeaseCheckpointPersist: bool('experimental-enable-lease-checkpoint-persist'),
    experimentalCompactionBatchLimit: num('experimental-compaction-batch-limit'),
    experimentalWatchProgressNotifyIntervalMs: num('experimental-watch-progress-notify-interval'),
    experimentalWarningApplyDurationMs: num('experimental-warning-apply-duration'),
    experimentalBackendBboltFreelistType: str('experimental-backend-bbolt-freelist-type'),
    unsafeNoFsync: bool('unsafe-no-fsync'),
    enableGrpcGateway: bool('enable-grpc-gateway'),
    configFile: raw.configFile,
    sources: raw.sources,
    notices,
  };
}
