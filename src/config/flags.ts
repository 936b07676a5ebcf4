/**
 * The table of every flag etcd 3.4 accepts, with its default, its config-file key, and whether
 * tsetcd implements it. One table drives the command-line parser, the ETCD_* environment
 * variables, the YAML config file, the --help text and the startup warnings, so the five can
 * never disagree about a flag.
 *
 * Accepting all of etcd's flags (rather than only those tsetcd implements) keeps existing etcd
 * command lines and unit files starting; a flag that is accepted but has no effect yet is
 * announced at startup (status 'inactive'), and one whose absence would change the meaning of
 * the deployment (discovery, v2 proxy) is refused (status 'unsupported').
 */
import type { ServerURL } from './urls.js';
import { parseServerURLs } from './urls.js';

export type FlagKind =
  | 'string'
  | 'bool'
  | 'uint' // Go uint / uint64
  | 'int' // Go int / int64
  | 'uint32'
  | 'duration' // Go time.Duration; stored in milliseconds
  | 'urls' // comma-separated URL list
  | 'strings' // comma-separated list, order kept (cipher suites are ordered by preference)
  | 'uniqueStrings' // comma-separated set, sorted (etcd's UniqueStringsValue)
  | 'origins' // comma-separated URL set or "*", kept as sorted hrefs (etcd's --cors)
  | 'choice' // one of `choices`
  | 'ignored'; // pre-v3 flag: accepted as a boolean, warned about, no value

export type FlagValue = string | boolean | number | readonly ServerURL[] | readonly string[];

/**
 * active      tsetcd honours the flag.
 * inactive    parsed and validated, but tsetcd does not implement it yet: a warning at startup
 *             when it is set to anything but its default.
 * unsupported setting it to anything but its default is a configuration error.
 */
export type FlagStatus = 'active' | 'inactive' | 'unsupported';

export type HelpSection =
  | 'Member'
  | 'Clustering'
  | 'Security'
  | 'Auth'
  | 'Profiling and Monitoring'
  | 'Logging'
  | 'v2 Proxy (to be deprecated in v4)'
  | 'Experimental feature'
  | 'Unsafe feature'
  | 'TO BE DEPRECATED';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly defaultValue: FlagValue;
  readonly choices?: readonly string[];
  /**
   * Key in the YAML config file (etcd's embed.Config json tags), dotted for nested keys
   * ("client-transport-security.cert-file"); null when the file cannot set it.
   */
  readonly fileKey: string | null;
  /** In the file, list flags are either a YAML sequence or one comma-separated string. */
  readonly fileList?: 'sequence' | 'csv';
  /**
   * URL-list flags for which the empty string leaves the value unchanged instead of failing
   * (etcd's NewUniqueURLsWithExceptions(default, "")).
   */
  readonly emptyKeeps?: boolean;
  readonly status: FlagStatus;
  /** Why the flag is inactive/unsupported, shown in the startup warning and the docs. */
  readonly note?: string;
  /** Help text placement; flags without it are accepted but not listed (as in etcd). */
  readonly help?: { readonly section: HelpSection; readonly shown: string; readonly text: string };
}

const MAX_UINT32 = 4294967295;

function urls(s: string): readonly ServerURL[] {
  return s === '' ? [] : parseServerURLs(s);
}


/**
 * Defaults as etcd 3.4.23 defines them (embed.NewConfig and etcdmain.newConfig).
 * When the server starts honouring an 'inactive' flag, flip its status here: the startup
 * warnings, --help and docs/configuration.md follow from this table.
 */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'config-file', kind: 'string', defaultValue: '', fileKey: null, status: 'active' },
  { name: 'version', kind: 'bool', defaultValue: false, fileKey: null, status: 'active' },

  // --- Member
  {
    name: 'name', kind: 'string', defaultValue: 'default', fileKey: 'name', status: 'active',
    help: { section: 'Member', shown: "'default'", text: 'Human-readable name for this member.' },
  },
  {
    // '' means "${name}.tsetcd", decided after name is known (etcd: "${name}.etcd").
    name: 'data-dir', kind: 'string', defaultValue: '', fileKey: 'data-dir', status: 'active',
    help: { section: 'Member', shown: "'${name}.tsetcd'", text: 'Path to the data directory.' },
  },
  {
    name: 'wal-dir', kind: 'string', defaultValue: '', fileKey: 'wal-dir', status: 'active',
    help: { section: 'Member', shown: "''", text: 'Path to the dedicated wal directory.' },
  },
  {
    name: 'snapshot-count', kind: 'uint', defaultValue: 100000, fileKey: 'snapshot-count',
    status: 'active',
    help: { section: 'Member', shown: "'100000'", text: 'Number of committed transactions to trigger a snapshot to disk.' },
  },
  {
    name: 'heartbeat-interval', kind: 'uint', defaultValue: 100, fileKey: 'heartbeat-interval',
    status: 'active',
    help: { section: 'Member', shown: "'100'", text: 'Time (in milliseconds) of a heartbeat interval.' },
  },
  {
    name: 'election-timeout', kind: 'uint', defaultValue: 1000, fileKey: 'election-timeout',
    status: 'active',
    help: { section: 'Member', shown: "'1000'", text: 'Time (in milliseconds) for an election to timeout.' },
  },
  {
    name: 'initial-election-tick-advance', kind: 'bool', defaultValue: true, fileKey: 'initial-election-tick-advance',
    status: 'inactive', note: 'a single member always elects itself at once',
    help: { section: 'Member', shown: "'true'", text: 'Whether to fast-forward initial election ticks on boot for faster election.' },
  },
  {
    name: 'listen-peer-urls', kind: 'urls', defaultValue: urls('http://localhost:2380'), emptyKeeps: true,
    fileKey: 'listen-peer-urls', fileList: 'csv',
    status: 'active',
    help: { section: 'Member', shown: "'http://localhost:2380'", text: 'List of URLs to listen on for peer traffic.' },
  },
  {
    name: 'listen-client-urls', kind: 'urls', defaultValue: urls('http://localhost:2379'), emptyKeeps: true,
    fileKey: 'listen-client-urls', fileList: 'csv', status: 'active',
    help: { section: 'Member', shown: "'http://localhost:2379'", text: 'List of URLs to listen on for client traffic.' },
  },
  {
    name: 'max-snapshots', kind: 'uint', defaultValue: 5, fileKey: 'max-snapshots', status: 'inactive',
    note: 'old snapshot files are not purged yet',
    help: { section: 'Member', shown: "'5'", text: 'Maximum number of snapshot files to retain (0 is unlimited).' },
  },
  {
    name: 'max-wals', kind: 'uint', defaultValue: 5, fileKey: 'max-wals', status: 'inactive',
    note: 'old WAL files are not purged yet',
    help: { section: 'Member', shown: "'5'", text: 'Maximum number of wal files to retain (0 is unlimited).' },
  },
  {
    name: 'quota-backend-bytes', kind: 'int', defaultValue: 0, fileKey: 'quota-backend-bytes',
    status: 'inactive', note: 'the space quota (NOSPACE alarm) is not enforced yet',
    help: { section: 'Member', shown: "'0'", text: 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).' },
  },
  {
    name: 'backend-batch-interval', kind: 'duration', defaultValue: 0, fileKey: 'backend-batch-interval', status: 'inactive',
    note: 'the backend commits once per applied batch',
    help: { section: 'Member', shown: "''", text: 'BackendBatchInterval is the maximum time before commit the backend transaction.' },
  },
  {
    name: 'backend-batch-limit', kind: 'int', defaultValue: 0, fileKey: 'backend-batch-limit', status: 'inactive',
    note: 'the backend commits once per applied batch',
    help: { section: 'Member', shown: "'0'", text: 'BackendBatchLimit is the maximum operations before commit the backend transaction.' },
  },
  {
    name: 'max-txn-ops', kind: 'uint', defaultValue: 128, fileKey: 'max-txn-ops', status: 'active',
    help: { section: 'Member', shown: "'128'", text: 'Maximum number of operations permitted in a transaction.' },
  },
  {
    name: 'max-request-bytes', kind: 'uint', defaultValue: 1572864, fileKey: 'max-request-bytes', status: 'active',
    help: { section: 'Member', shown: "'1572864'", text: 'Maximum client request size in bytes the server will accept.' },
  },
  {
    name: 'max-concurrent-streams', kind: 'uint32', defaultValue: MAX_UINT32, fileKey: 'max-concurrent-streams', status: 'inactive',
    note: 'HTTP/2 stream limits use the server defaults',
    help: { section: 'Member', shown: "'math.MaxUint32'", text: 'Maximum concurrent streams that each client can open at a time.' },
  },
  {
    name: 'grpc-keepalive-min-time', kind: 'duration', defaultValue: 5000, fileKey: 'grpc-keepalive-min-time', status: 'inactive',
    note: 'gRPC keepalive enforcement is not configured yet',
    help: { section: 'Member', shown: "'5s'", text: 'Minimum duration interval that a client should wait before pinging server.' },
  },
  {
    name: 'grpc-keepalive-interval', kind: 'duration', defaultValue: 7_200_000, fileKey: 'grpc-keepalive-interval', status: 'inactive',
    note: 'gRPC keepalive pings are not configured yet',
    help: { section: 'Member', shown: "'2h'", text: 'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).' },
  },
  {
    name: 'grpc-keepalive-timeout', kind: 'duration', defaultValue: 20_000, fileKey: 'grpc-keepalive-timeout', status: 'inactive',
    note: 'gRPC keepalive pings are not configured yet',
    help: { section: 'Member', shown: "'20s'", text: 'Additional duration of wait before closing a non-responsive connection (0 to disable).' },
  },

  // --- Clustering
  {
    name: 'initial-advertise-peer-urls', kind: 'urls', defaultValue: urls('http://localhost:2380'), emptyKeeps: true,
    fileKey: 'initial-advertise-peer-urls', fileList: 'csv', status: 'active',
    help: { section: 'Clustering', shown: "'http://localhost:2380'", text: "List of this member's peer URLs to advertise to the rest of the cluster." },
  },
  {
    // '' is replaced by "<name>=<initial-advertise-peer-urls>" (see resolve.ts).
    name: 'initial-cluster', kind: 'string', defaultValue: 'default=http://localhost:2380', fileKey: 'initial-cluster', status: 'active',
    help: { section: 'Clustering', shown: "'default=http://localhost:2380'", text: 'Initial cluster configuration for bootstrapping.' },
  },
  {
    name: 'initial-cluster-state', kind: 'choice', choices: ['new', 'existing'], defaultValue: 'new',
    fileKey: 'initial-cluster-state',
    status: 'active',
    help: { section: 'Clustering', shown: "'new'", text: "Initial cluster state ('new' or 'existing')." },
  },
  {
    name: 'initial-cluster-token', kind: 'string', defaultValue: 'etcd-cluster', fileKey: 'initial-cluster-token', status: 'active',
    help: { section: 'Clustering', shown: "'etcd-cluster'", text: 'Initial cluster token for the etcd cluster during bootstrap.' },
  },
  {
    name: 'advertise-client-urls', kind: 'urls', defaultValue: urls('http://localhost:2379'), emptyKeeps: true,
    fileKey: 'advertise-client-urls', fileList: 'csv', status: 'active',
    help: { section: 'Clustering', shown: "'http://localhost:2379'", text: "List of this member's client URLs to advertise to the public." },
  },
  {
    name: 'discovery', kind: 'string', defaultValue: '', fileKey: 'discovery', status: 'unsupported',
    note: 'discovery service bootstrap is not implemented; use --initial-cluster',
    help: { section: 'Clustering', shown: "''", text: 'Discovery URL used to bootstrap the cluster.' },
  },
  {
    name: 'discovery-fallback', kind: 'choice', choices: ['proxy', 'exit'], defaultValue: 'proxy', fileKey: 'discovery-fallback',
    status: 'inactive', note: 'discovery is not implemented',
    help: { section: 'Clustering', shown: "'proxy'", text: "Expected behavior ('exit' or 'proxy') when discovery services fails." },
  },
  {
    name: 'discovery-proxy', kind: 'string', defaultValue: '', fileKey: 'discovery-proxy', status: 'inactive',
    note: 'discovery is not implemented',
    help: { section: 'Clustering', shown: "''", text: 'HTTP proxy to use for traffic to discovery service.' },
  },
  {
    name: 'discovery-srv', kind: 'string', defaultValue: '', fileKey: 'discovery-srv', status: 'unsupported',
    note: 'DNS SRV discovery is not implemented; use --initial-cluster',
    help: { section: 'Clustering', shown: "''", text: 'DNS srv domain used to bootstrap the cluster.' },
  },
  {
    name: 'discovery-srv-name', kind: 'string', defaultValue: '', fileKey: 'discovery-srv-name', status: 'unsupported',
    note: 'DNS SRV discovery is not implemented; use --initial-cluster',
    help: { section: 'Clustering', shown: "''", text: 'Suffix to the dns srv name queried when bootstrapping.' },
  },
  {
    name: 'strict-reconfig-check', kind: 'bool', defaultValue: true, fileKey: 'strict-reconfig-check', status: 'active',
    help: { section: 'Clustering', shown: "'true'", text: 'Reject reconfiguration requests that would cause quorum loss.' },
  },
  {
    name: 'pre-vote', kind: 'bool', defaultValue: false, fileKey: 'pre-vote', status: 'inactive',
    note: 'the Raft pre-vote phase is not implemented yet',
    help: { section: 'Clustering', shown: "'false'", text: 'Enable to run an additional Raft election phase.' },
  },
  {
    name: 'auto-compaction-retention', kind: 'string', defaultValue: '0', fileKey: 'auto-compaction-retention', status: 'active',
    help: { section: 'Clustering', shown: "'0'", text: 'Auto compaction retention length. 0 means disable auto compaction.' },
  },
  {
    // etcd validates the mode after parsing (it accepts '' too), so this is a plain string.
    name: 'auto-compaction-mode', kind: 'string', defaultValue: 'periodic', fileKey: 'auto-compaction-mode', status: 'active',
    help: {
      section: 'Clustering', shown: "'periodic'",
      text: "Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention.",
    },
  },
  {
    name: 'enable-v2', kind: 'bool', defaultValue: false, fileKey: 'enable-v2', status: 'inactive',
    note: 'tsetcd serves only the v3 API',
    help: { section: 'Clustering', shown: "'false'", text: 'Accept etcd V2 client requests.' },
  },

  // --- Security
  ...tlsFlags(),
  {
    name: 'cipher-suites', kind: 'strings', defaultValue: [], fileKey: 'cipher-suites', fileList: 'sequence', status: 'inactive',
    note: 'TLS is not implemented yet',
    help: { section: 'Security', shown: "''", text: 'Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by Node).' },
  },
  {
    name: 'cors', kind: 'origins', defaultValue: ['*'], fileKey: 'cors', fileList: 'csv', status: 'inactive',
    note: 'CORS headers are not implemented yet',
    help: { section: 'Security', shown: "'*'", text: 'Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).' },
  },
  {
    name: 'host-whitelist', kind: 'uniqueStrings', defaultValue: ['*'], fileKey: 'host-whitelist', fileList: 'csv', status: 'inactive',
    note: 'Host header filtering is not implemented yet',
    help: { section: 'Security', shown: "'*'", text: 'Acceptable hostnames from HTTP client requests, if server is not secure (empty or * means allow all).' },
  },

  // --- Auth
  {
    name: 'auth-token', kind: 'string', defaultValue: 'simple', fileKey: 'auth-token', status: 'inactive',
    note: 'authentication is not implemented yet',
    help: { section: 'Auth', shown: "'simple'", text: "Specify a v3 authentication token type and its options ('simple' or 'jwt')." },
  },
  {
    name: 'bcrypt-cost', kind: 'uint', defaultValue: 10, fileKey: 'bcrypt-cost', status: 'inactive',
    note: 'authentication is not implemented yet',
    help: { section: 'Auth', shown: '10', text: 'Specify the cost / strength of the bcrypt algorithm for hashing auth passwords. Valid values are between 4 and 31.' },
  },
  {
    name: 'auth-token-ttl', kind: 'uint', defaultValue: 300, fileKey: 'auth-token-ttl', status: 'inactive',
    note: 'authentication is not implemented yet',
    help: { section: 'Auth', shown: '300', text: 'Time (in seconds) of the auth-token-ttl.' },
  },

  // --- Profiling and Monitoring
  {
    name: 'enable-pprof', kind: 'bool', defaultValue: false, fileKey: 'enable-pprof', status: 'inactive',
    note: 'the /debug/pprof/ endpoints are Go-specific and not served',
    help: { section: 'Profiling and Monitoring', shown: "'false'", text: 'Enable runtime profiling data via HTTP server. Address is at client URL + "/debug/pprof/"' },
  },
  {
    name: 'metrics', kind: 'choice', choices: ['basic', 'extensive'], defaultValue: 'basic', fileKey: 'metrics', status: 'inactive',
    note: 'only the basic metric set is exported',
    help: { section: 'Profiling and Monitoring', shown: "'basic'", text: "Set level of detail for exported metrics, specify 'extensive' to include histogram metrics." },
  },
  {
    name: 'listen-metrics-urls', kind: 'urls', defaultValue: [], emptyKeeps: true, fileKey: 'listen-metrics-urls', fileList: 'csv', status: 'active',
    help: { section: 'Profiling and Monitoring', shown: "''", text: 'List of URLs to listen on for the metrics and health endpoints.' },
  },

  // --- Logging
  {
    // etcd 3.4 defaults to 'capnslog' (its pre-zap text format); tsetcd only writes zap-shaped
    // JSON, which is etcd 3.5's default, so 'zap' is our default and 'capnslog' is mapped to it.
    name: 'logger', kind: 'string', defaultValue: 'zap', fileKey: 'logger', status: 'active',
    help: { section: 'Logging', shown: "'zap'", text: "Specify 'zap' for structured logging or 'capnslog'. [WARN] 'capnslog' is deprecated; tsetcd always logs as 'zap'." },
  },
  {
    name: 'log-outputs', kind: 'uniqueStrings', defaultValue: ['default'], fileKey: 'log-outputs', fileList: 'sequence', status: 'active',
    help: { section: 'Logging', shown: "'default'", text: "Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets." },
  },
  {
    name: 'log-level', kind: 'string', defaultValue: 'info', fileKey: 'log-level', status: 'active',
    help: { section: 'Logging', shown: "'info'", text: 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.' },
  },

  // --- v2 Proxy
  {
    name: 'proxy', kind: 'choice', choices: ['off', 'readonly', 'on'], defaultValue: 'off', fileKey: 'proxy', status: 'unsupported',
    note: 'the v2 proxy is not implemented',
    help: { section: 'v2 Proxy (to be deprecated in v4)', shown: "'off'", text: "Proxy mode setting ('off', 'readonly' or 'on')." },
  },
  ...proxyTimingFlags(),

  // --- Experimental
  {
    name: 'experimental-initial-corrupt-check', kind: 'bool', defaultValue: false, fileKey: 'experimental-initial-corrupt-check',
    status: 'inactive', note: 'corruption checks are not implemented yet',
    help: { section: 'Experimental feature', shown: "'false'", text: 'Enable to check data corruption before serving any client/peer traffic.' },
  },
  {
    name: 'experimental-corrupt-check-time', kind: 'duration', defaultValue: 0, fileKey: 'experimental-corrupt-check-time',
    status: 'inactive', note: 'corruption checks are not implemented yet',
    help: { section: 'Experimental feature', shown: "'0s'", text: 'Duration of time between cluster corruption check passes.' },
  },
  {
    name: 'experimental-enable-v2v3', kind: 'string', defaultValue: '', fileKey: 'experimental-enable-v2v3', status: 'unsupported',
    note: 'the v2 API emulation is not implemented',
    help: { section: 'Experimental feature', shown: "''", text: 'Serve v2 requests through the v3 backend under a given prefix.' },
  },
  {
    name: 'experimental-backend-bbolt-freelist-type', kind: 'string', defaultValue: 'array',
    fileKey: 'experimental-backend-bbolt-freelist-type', status: 'inactive', note: 'the backend is LMDB, not bbolt',
    help: { section: 'Experimental feature', shown: "'array'", text: 'ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types).' },
  },
  {
    name: 'experimental-enable-lease-checkpoint', kind: 'bool', defaultValue: false, fileKey: 'experimental-enable-lease-checkpoint',
    status: 'inactive', note: 'lease checkpointing is not implemented yet',
    help: { section: 'Experimental feature', shown: "'false'", text: 'ExperimentalEnableLeaseCheckpoint enables primary lessor to persist lease remainingTTL to prevent indefinite auto-renewal of long lived leases.' },
  },
  {
    name: 'experimental-enable-lease-checkpoint-persist', kind: 'bool', defaultValue: false,
    fileKey: 'experimental-enable-lease-checkpoint-persist',
    status: 'inactive', note: 'lease checkpointing is not implemented yet',
  },
  {
    name: 'experimental-compaction-batch-limit', kind: 'int', defaultValue: 1000, fileKey: 'experimental-compaction-batch-limit',
    status: 'inactive', note: 'compaction runs in one batch',
    help: { section: 'Experimental feature', shown: '1000', text: 'ExperimentalCompactionBatchLimit sets the maximum revisions deleted in each compaction batch.' },
  },
  {
    name: 'experimental-peer-skip-client-san-verification', kind: 'bool', defaultValue: false, fileKey: null,
    status: 'inactive', note: 'TLS is not implemented yet',
    help: { section: 'Experimental feature', shown: "'false'", text: 'Skip verification of SAN field in client certificate for peer connections.' },
  },
  {
    name: 'experimental-watch-progress-notify-interval', kind: 'duration', defaultValue: 600_000,
    fileKey: 'experimental-watch-progress-notify-interval', status: 'inactive', note: 'watch is not implemented yet',
    help: { section: 'Experimental feature', shown: "'10m'", text: 'Duration of periodical watch progress notification.' },
  },
  {
    name: 'experimental-warning-apply-duration', kind: 'duration', defaultValue: 100,
    fileKey: 'experimental-warning-apply-duration', status: 'inactive', note: 'slow-apply warnings are not implemented yet',
    help: { section: 'Experimental feature', shown: "'100ms'", text: 'Warning is generated if requests take more than this duration.' },
  },

  // --- Unsafe
  {
    name: 'force-new-cluster', kind: 'bool', defaultValue: false, fileKey: 'force-new-cluster', status: 'inactive',
    note: 'a tsetcd cluster has a single member so far',
    help: { section: 'Unsafe feature', shown: "'false'", text: 'Force to create a new one-member cluster.' },
  },
  {
    name: 'unsafe-no-fsync', kind: 'bool', defaultValue: false, fileKey: 'unsafe-no-fsync', status: 'inactive',
    note: 'tsetcd always fsyncs',
  },

  // --- Hidden or to be deprecated
  {
    name: 'enable-grpc-gateway', kind: 'bool', defaultValue: true, fileKey: 'enable-grpc-gateway', status: 'inactive',
    note: 'the JSON gateway is always served',
  },
  {
    name: 'debug', kind: 'bool', defaultValue: false, fileKey: 'debug', status: 'active',
    help: { section: 'TO BE DEPRECATED', shown: "'false'", text: "Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5. Use '--log-level=debug' instead." },
  },
  {
    name: 'log-package-levels', kind: 'string', defaultValue: '', fileKey: 'log-package-levels', status: 'inactive',
    note: "per-package levels existed only for etcd's capnslog logger",
    help: { section: 'TO BE DEPRECATED', shown: "''", text: "Specify a particular log level for each etcd package (eg: 'etcdmain=CRITICAL,etcdserver=DEBUG')." },
  },
  {
    // Deprecated spelling of --log-outputs; see resolve.ts for how the two combine.
    name: 'log-output', kind: 'uniqueStrings', defaultValue: ['default'], fileKey: 'log-output', fileList: 'sequence', status: 'active',
  },

  // Flags of etcd 0.4/2.x that etcd 3.4 still swallows with a warning.
  ...[
    'cluster-active-size', 'cluster-remove-delay', 'cluster-sync-interval', 'config', 'force',
    'max-result-buffer', 'max-retry-attempts', 'peer-heartbeat-interval', 'peer-election-timeout',
    'retry-interval', 'snapshot', 'v', 'vv',
  ].map((name): FlagSpec => ({ name, kind: 'ignored', defaultValue: false, fileKey: null, status: 'active' })),
];

function tlsFlags(): FlagSpec[] {
  const note = 'this TLS option is not implemented yet';
  const sec = 'Security' as const;
  // The certificate, key, CA and client-cert-auth flags are honoured; CRLs, allowed CN/hostname
  // checks and auto-TLS are not yet.
  const honoured = new Set([
    'cert-file', 'key-file', 'client-cert-auth', 'trusted-ca-file',
    'peer-cert-file', 'peer-key-file', 'peer-client-cert-auth', 'peer-trusted-ca-file',
  ]);
  const status = (name: string): Pick<FlagSpec, 'status' | 'note'> => (honoured.has(name) ? { status: 'active' } : { status: 'inactive', note });
  const str = (name: string, fileKey: string | null, text: string): FlagSpec => ({
    name, kind: 'string', defaultValue: '', fileKey, ...status(name), help: { section: sec, shown: "''", text },
  });
  const bool = (name: string, fileKey: string | null, text: string): FlagSpec => ({
    name, kind: 'bool', defaultValue: false, fileKey, ...status(name), help: { section: sec, shown: "'false'", text },
  });
  const c = 'client-transport-security.';
  const p = 'peer-transport-security.';
  return [
    str('cert-file', `${c}cert-file`, 'Path to the client server TLS cert file.'),
    str('key-file', `${c}key-file`, 'Path to the client server TLS key file.'),
    bool('client-cert-auth', `${c}client-cert-auth`, 'Enable client cert authentication.'),
    str('client-crl-file', null, 'Path to the client certificate revocation list file.'),
    str('client-cert-allowed-hostname', null, 'Allowed TLS hostname for client cert authentication.'),
    str('trusted-ca-file', `${c}trusted-ca-file`, 'Path to the client server TLS trusted CA cert file.'),
    bool('auto-tls', `${c}auto-tls`, 'Client TLS using generated certificates.'),
    str('peer-cert-file', `${p}cert-file`, 'Path to the peer server TLS cert file.'),
    str('peer-key-file', `${p}key-file`, 'Path to the peer server TLS key file.'),
    bool('peer-client-cert-auth', `${p}client-cert-auth`, 'Enable peer client cert authentication.'),
    str('peer-trusted-ca-file', `${p}trusted-ca-file`, 'Path to the peer server TLS trusted CA file.'),
    str('peer-cert-allowed-cn', null, 'Required CN for client certs connecting to the peer endpoint.'),
    str('peer-cert-allowed-hostname', null, 'Allowed TLS hostname for inter peer authentication.'),
    bool('peer-auto-tls', `${p}auto-tls`, 'Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file are not provided.'),
    str('peer-crl-file', null, 'Path to the peer certificate revocation list file.'),
  ];
}

function proxyTimingFlags(): FlagSpec[] {
  const sec = 'v2 Proxy (to be deprecated in v4)' as const;
  const mk = (name: string, def: number, text: string): FlagSpec => ({
    name, kind: 'uint', defaultValue: def, fileKey: name, status: 'inactive', note: 'the v2 proxy is not implemented',
    help: { section: sec, shown: String(def), text },
  });
  return [
    mk('proxy-failure-wait', 5000, 'Time (in milliseconds) an endpoint will be held in a failed state.'),
    mk('proxy-refresh-interval', 30000, 'Time (in milliseconds) of the endpoints refresh interval.'),
    mk('proxy-dial-timeout', 1000, 'Time (in milliseconds) for a dial to timeout.'),
    mk('proxy-write-timeout', 5000, 'Time (in milliseconds) for a write to timeout.'),
    mk('proxy-read-timeout', 0, 'Time (in milliseconds) for a read to timeout.'),
  ];
}

export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.name, f]));

/** etcd's FlagToEnv: "data-dir" → "ETCD_DATA_DIR". */
export function flagToEnv(name: string): string {
  return `ETCD_${name.replace(/-/g, '_').toUpperCase()}`;
}
