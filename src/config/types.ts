/**
 * The resolved configuration of one tsetcd member: plain data, every default applied, every
 * cross-flag rule of etcd checked. Field names follow the flags (camelCase); units are in the
 * name where the flag's unit is not obvious.
 */
import type { ConfigNotice } from './notice.js';
import type { ServerURL } from './urls.js';

export type { ConfigNotice } from './notice.js';
export type { ServerURL, UrlScheme } from './urls.js';

/** zap's levels, as etcd's --log-level accepts them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';

export type ValueSource = 'default' | 'flag' | 'env' | 'file';

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  /** --client-cert-auth / --peer-client-cert-auth */
  readonly clientCertAuth: boolean;
  readonly autoTls: boolean;
  readonly crlFile: string;
  /** --client-cert-allowed-hostname / --peer-cert-allowed-hostname */
  readonly allowedHostname: string;
  /** --peer-cert-allowed-cn (always '' for the client side) */
  readonly allowedCn: string;
}

export type AutoCompaction =
  | { readonly mode: 'periodic'; readonly retention: string; /** 0 = disabled */ readonly periodMs: number }
  | { readonly mode: 'revision'; readonly retention: string; /** 0 = disabled */ readonly revisions: number };

export interface ServerConfig {
  // --- member
  readonly name: string;
  /** --data-dir, defaulted to "<name>.tsetcd". */
  readonly dataDir: string;
  /** --wal-dir; '' means "<data-dir>/member/wal". */
  readonly walDir: string;
  readonly snapshotCount: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly initialElectionTickAdvance: boolean;
  /** --quota-backend-bytes as given: 0 means the 2 GiB default, negative disables the quota. */
  readonly quotaBackendBytes: number;
  /** The quota actually enforced (etcd's rule applied); null when disabled. */
  readonly effectiveQuotaBackendBytes: number | null;
  readonly backendBatchIntervalMs: number;
  readonly backendBatchLimit: number;
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
  readonly maxConcurrentStreams: number;
  readonly grpcKeepAliveMinTimeMs: number;
  readonly grpcKeepAliveIntervalMs: number;
  readonly grpcKeepAliveTimeoutMs: number;

  // --- URLs (each list sorted by href, as etcd sorts them)
  readonly listenPeerUrls: readonly ServerURL[];
  readonly listenClientUrls: readonly ServerURL[];
  readonly listenMetricsUrls: readonly ServerURL[];
  readonly initialAdvertisePeerUrls: readonly ServerURL[];
  readonly advertiseClientUrls: readonly ServerURL[];

  // --- clustering
  /** --initial-cluster in etcd's canonical text form ("a=http://x:2380,b=..."). */
  readonly initialCluster: string;
  /** --initial-cluster parsed: member name → its peer URLs. */
  readonly initialClusterMembers: ReadonlyMap<string, readonly ServerURL[]>;
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly strictReconfigCheck: boolean;
  readonly preVote: boolean;
  readonly enableV2: boolean;
  readonly forceNewCluster: boolean;
  readonly autoCompaction: AutoCompaction;

  // --- security and auth
  readonly clientTls: TlsConfig;
  readonly peerTls: TlsConfig;
  readonly peerSkipClientSanVerification: boolean;
  readonly cipherSuites: readonly string[];
  readonly cors: readonly string[];
  readonly hostWhitelist: readonly string[];
  readonly authToken: string;
  readonly bcryptCost: number;
  readonly authTokenTtlSeconds: number;

  // --- monitoring and logging
  readonly enablePprof: boolean;
  readonly metrics: 'basic' | 'extensive';
  /** Always 'zap': tsetcd has no capnslog text format (--logger=capnslog is mapped to zap). */
  readonly logger: 'zap';
  readonly logLevel: LogLevel;
  /** 'default' | 'stderr' | 'stdout' | file paths; see createLogger. */
  readonly logOutputs: readonly string[];

  // --- experimental and unsafe (parsed for compatibility; see notices)
  readonly experimentalInitialCorruptCheck: boolean;
  readonly experimentalCorruptCheckTimeMs: number;
  readonly experimentalEnableLeaseCheckpoint: boolean;
  readonly experimentalEnableLeaseCheckpointPersist: boolean;
  readonly experimentalCompactionBatchLimit: number;
  readonly experimentalWatchProgressNotifyIntervalMs: number;
  readonly experimentalWarningApplyDurationMs: number;
  readonly experimentalBackendBboltFreelistType: string;
  readonly unsafeNoFsync: boolean;
  readonly enableGrpcGateway: boolean;

  // --- provenance
  /** The YAML file the configuration came from (flags and env were then ignored), or null. */
  readonly configFile: string | null;
  /** Where each flag's value came from, by flag name. */
  readonly sources: ReadonlyMap<string, ValueSource>;
  /**
   * Things the server must log at startup, in order, once its logger exists: environment
   * variables used or unrecognized, deprecated or ignored flags, and one warning per flag that
   * is set but has no effect in tsetcd yet ("accepted-but-inactive").
   */
  readonly notices: readonly ConfigNotice[];
}
