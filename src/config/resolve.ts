/**
 * From raw flag values (defaults overlaid with env/flags, or with the config file) to a validated
 * ServerConfig: etcd's embed.Config.Validate checks in etcd's order (so the first error reported
 * is etcd's), then the defaults etcd fills in at startup (data dir, initial cluster from the name,
 * snapshot count 0, quota 0), then tsetcd's own rules about flags it does not implement.
 */
import { isIP } from 'node:net';
import { invalidConfig } from './errors.js';
import { FLAGS, FLAGS_BY_NAME, MULTI_MEMBER_CLUSTERS, type FlagSpec, type FlagValue } from './flags.js';
import { GoParseError, parseGoDuration } from './goparse.js';
import type { ConfigNotice } from './setflag.js';
import type { AutoCompaction, LogLevel, ServerConfig, TlsConfig, ValueSource } from './types.js';
import { formatInitialCluster, parseInitialCluster, type ServerURL } from './urls.js';

export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** Above this etcd warns that performance may degrade. */
export const MAX_QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;
const MAX_ELECTION_MS = 50000;
const DEFAULT_SNAPSHOT_COUNT = 100000;
const DEFAULT_INITIAL_CLUSTER = 'default=http://localhost:2380';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal'];

export interface RawConfig {
  /** Final value of every flag (defaults included). */
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly sources: ReadonlyMap<string, ValueSource>;
  readonly notices: readonly ConfigNotice[];
  readonly configFile: string | null;
}

export function resolveConfig(raw: RawConfig): ServerConfig {
  const notices: ConfigNotice[] = [...raw.notices];
  const v = (name: string): FlagValue => {
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) throw new Error(`config: no flag named ${name}`);
    return raw.values.get(name) ?? spec.defaultValue;
  };
  const str = (name: string): string => v(name) as string;
  const bool = (name: string): boolean => v(name) as boolean;
  const num = (name: string): number => v(name) as number;
  const list = (name: string): readonly string[] => v(name) as readonly string[];
  const urls = (name: string): readonly ServerURL[] => v(name) as readonly ServerURL[];
  const isSet = (name: string): boolean => (raw.sources.get(name) ?? 'default') !== 'default';

  // --- logging (etcd validates it first, since the logger reports everything else)
  const logging = resolveLogging(str, bool, list, isSet, notices);

  // --- embed.Config.Validate, in etcd's order
  checkBindURLs(urls('listen-peer-urls'));
  checkBindURLs(urls('listen-client-urls'));
  checkBindURLs(urls('listen-metrics-urls'));
  checkHostURLs('--initial-advertise-peer-urls', urls('initial-advertise-peer-urls'));
  checkHostURLs('--advertise-client-urls', urls('advertise-client-urls'));
  for (const spec of FLAGS) {
    if (spec.kind !== 'choice') continue;
    const value = str(spec.name);
    if (!(spec.choices ?? []).includes(value)) {
      // The config file path reaches here unvalidated; etcd words this one specially.
      throw invalidConfig(
        spec.name === 'initial-cluster-state'
          ? `unexpected clusterState ${JSON.stringify(value)}`
          : `invalid value ${JSON.stringify(value)} for ${spec.name} (valid values: ${(spec.choices ?? []).join(', ')})`,
      );
    }
  }
  let initialCluster = str('initial-cluster');
  const bootstrapModes = [str('discovery') !== '', initialCluster !== '', str('discovery-srv') !== ''];
  if (bootstrapModes.filter(Boolean).length > 1) {
    throw invalidConfig(
      'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"',
    );
  }
  const tickMs = num('heartbeat-interval');
  const electionMs = num('election-timeout');
  if (tickMs <= 0) throw invalidConfig(`--heartbeat-interval must be >0 (set to ${tickMs}ms)`);
  if (electionMs <= 0) throw invalidConfig(`--election-timeout must be >0 (set to ${electionMs}ms)`);
  if (5 * tickMs > electionMs) {
    throw invalidConfig(
      `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${tickMs}ms]`,
    );
  }
  if (electionMs > MAX_ELECTION_MS) {
    throw invalidConfig(`--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);
  }
  if (urls('listen-client-urls').length > 0 && urls('advertise-client-urls').length === 0 && str('proxy') === 'off') {
    throw invalidConfig('--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const compactionMode = str('auto-compaction-mode');
  if (compactionMode !== '' && compactionMode !== 'periodic' && compactionMode !== 'revision') {
    throw invalidConfig(`unknown auto-compaction-mode ${JSON.stringify(compactionMode)}`);
  }
  if (bool('experimental-enable-lease-checkpoint-persist') && !bool('experimental-enable-lease-checkpoint')) {
    throw invalidConfig('setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint');
  }

  // --- what etcd settles at startup
  const autoCompaction = resolveAutoCompaction(compactionMode, str('auto-compaction-retention'));
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
  if (!MULTI_MEMBER_CLUSTERS && initialClusterMembers.size > 1) {
    throw invalidConfig(
      `tsetcd does not support multi-member clusters yet: --initial-cluster lists ${initialClusterMembers.size} members (${[...initialClusterMembers.keys()].join(', ')})`,
    );
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
  notices.push(...flagStatusNotices(raw, v));

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

function resolveLogging(
  str: (n: string) => string,
  bool: (n: string) => boolean,
  list: (n: string) => readonly string[],
  isSet: (n: string) => boolean,
  notices: ConfigNotice[],
): { level: LogLevel; outputs: readonly string[] } {
  let outputs = list('log-outputs');
  if (isSet('log-output')) {
    if (isSet('log-outputs')) throw invalidConfig("both '--log-output' and '--log-outputs' are set; only set '--log-outputs'");
    notices.push({ level: 'warn', msg: "'--log-output' flag has been deprecated! Please use '--log-outputs'!" });
    outputs = list('log-output');
  }
  const logger = str('logger');
  if (logger === 'capnslog') {
    notices.push({
      level: 'warn',
      msg: "[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead",
      fields: { note: 'tsetcd has no capnslog format and logs as --logger=zap' },
    });
  } else if (logger !== 'zap') {
    throw invalidConfig(`unknown logger option ${JSON.stringify(logger)}`);
  }
  const levelText = str('log-level');
  if (!(LOG_LEVELS as readonly string[]).includes(levelText)) {
    // etcd 3.4 panics here; a clear error is kinder and keeps the exit code non-zero.
    throw invalidConfig(`unknown level ${JSON.stringify(levelText)}`);
  }
  let level = levelText as LogLevel;
  if (bool('debug')) {
    notices.push({ level: 'warn', msg: "[WARNING] Deprecated '--debug' flag is set to true (use '--log-level=debug' instead" });
    // Under etcd 3.4's default logger (capnslog) --debug meant debug-level logs; keep that.
    if (!isSet('log-level')) level = 'debug';
  }
  if (outputs.length === 0) outputs = ['default'];
  if (outputs.length > 1 && outputs.includes('default')) {
    throw invalidConfig('multi logoutput for "default" is not supported yet');
  }
  if (outputs.includes('systemd/journal')) {
    throw invalidConfig('--log-outputs=systemd/journal is not supported by tsetcd; log to stderr and let journald capture it');
  }
  return { level, outputs };
}

/** Listen URLs must name an IP address or "localhost": we bind them, and DNS names may change. */
function checkBindURLs(list: readonly ServerURL[]): void {
  for (const u of list) {
    if (u.scheme === 'unix' || u.scheme === 'unixs') continue;
    if (u.hostname === 'localhost') continue;
    if (isIP(u.hostname) === 0) throw invalidConfig(`expected IP in URL for binding (${u.href})`);
  }
}

function checkHostURLs(flag: string, list: readonly ServerURL[]): void {
  const bad = list.find((u) => u.hostname === '');
  if (bad !== undefined) {
    const all = list.map((u) => u.href).join(',');
    throw invalidConfig(`${flag} ${JSON.stringify(all)} must be "host:port" (unexpected empty host (${bad.href}))`);
  }
}

/**
 * etcd's parseCompactionRetention: a plain non-negative integer is hours in periodic mode and
 * revisions in revision mode; anything else must be a Go duration (periodic mode only — etcd
 * would read "5m" in revision mode as 300000000000 revisions, which we refuse).
 */
export function resolveAutoCompaction(mode: string, retention: string): AutoCompaction {
  const text = retention === '' ? '0' : retention;
  const isCount = /^[+-]?\d+$/.test(text) && Number(text) >= 0;
  if (mode === 'revision') {
    if (!isCount) {
      throw invalidConfig(`--auto-compaction-retention ${JSON.stringify(retention)} must be a number of revisions in revision mode`);
    }
    return { mode: 'revision', retention: text, revisions: Number(text) };
  }
  let periodMs: number;
  if (isCount) {
    periodMs = Number(text) * 3_600_000;
  } else {
    try {
      periodMs = parseGoDuration(text);
    } catch {
      throw invalidConfig(`error parsing CompactionRetention: time: invalid duration ${JSON.stringify(text)}`);
    }
    if (periodMs < 0) throw invalidConfig(`--auto-compaction-retention ${JSON.stringify(retention)} must not be negative`);
  }
  // etcd rejects an empty mode only once compaction is actually enabled.
  if (mode === '' && periodMs !== 0) throw invalidConfig('unsupported compaction mode ');
  return { mode: 'periodic', retention: text, periodMs };
}

/** Warnings for inactive flags and errors for unsupported ones, when set to a non-default value. */
function flagStatusNotices(raw: RawConfig, v: (name: string) => FlagValue): ConfigNotice[] {
  const out: ConfigNotice[] = [];
  for (const spec of FLAGS) {
    if (spec.status === 'active') continue;
    if ((raw.sources.get(spec.name) ?? 'default') === 'default') continue;
    const value = v(spec.name);
    if (sameValue(value, spec.defaultValue)) continue;
    if (spec.status === 'unsupported') {
      throw invalidConfig(`--${spec.name} is not supported by tsetcd: ${spec.note ?? 'not implemented'}`);
    }
    out.push({
      level: 'warn',
      msg: 'flag is accepted for etcd compatibility but has no effect in tsetcd yet',
      fields: { flag: `--${spec.name}`, value: displayValue(spec, value), reason: spec.note ?? '' },
    });
  }
  return out;
}

export function displayValue(spec: FlagSpec, value: FlagValue): string | number | boolean {
  if (Array.isArray(value)) {
    return spec.kind === 'urls' ? (value as readonly ServerURL[]).map((u) => u.href).join(',') : value.join(',');
  }
  return value as string | number | boolean;
}

function sameValue(a: FlagValue, b: FlagValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (x: unknown): string => (typeof x === 'object' && x !== null ? (x as ServerURL).href : String(x));
    return a.length === b.length && a.every((x, i) => key(x) === key(b[i]));
  }
  return a === b;
}
