// Prometheus metrics under etcd's names, types and buckets, so etcd dashboards and alerts work as
// they are. One registry per member (tests run several members in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly leaderChanges: Counter;
  readonly proposalsCommitted: Gauge;
  readonly proposalsApplied: Gauge;
  readonly proposalsPending: Gauge;
  readonly proposalsFailed: Counter;
  readonly dbTotalSize: Gauge;
  readonly dbTotalSizeInUse: Gauge;
  readonly walFsync: Histogram;
  readonly backendCommit: Histogram;
  readonly keysTotal: Gauge;
  readonly putTotal: Counter;
  readonly deleteTotal: Counter;
  readonly rangeTotal: Counter;
  readonly txnTotal: Counter;
  readonly grpcStarted: Counter;
  readonly grpcHandled: Counter;
  readonly walWriteBytes: Counter;
  readonly leaseExpired: Counter;
  readonly snapshotSendSuccess: Counter;
  readonly snapshotSendFailures: Counter;
  readonly snapshotReceiveSuccess: Counter;
  private readonly serverId: Gauge;
  private countKeys: () => number = () => 0;

  constructor(opts: { serverVersion: string; clusterVersion: string; defaultMetrics: boolean }) {
    const r = this.registry;
    const g = (name: string, help: string, labelNames: string[] = []): Gauge =>
      new Gauge({ name, help, labelNames, registers: [r] });
    const c = (name: string, help: string, labelNames: string[] = []): Counter =>
      new Counter({ name, help, labelNames, registers: [r] });
    // etcd's disk latency histograms: 1 ms .. 8 s, doubling.
    const diskBuckets = exponentialBuckets(0.001, 2, 14);
    this.hasLeader = g('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.');
    this.isLeader = g('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.');
    this.leaderChanges = c('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.');
    this.snapshotSendSuccess = c('etcd_network_snapshot_send_success', 'Total number of successful snapshot sends', ['To']);
    this.snapshotSendFailures = c('etcd_network_snapshot_send_failures', 'Total number of snapshot send failures', ['To']);
    this.snapshotReceiveSuccess = c('etcd_network_snapshot_receive_success', 'Total number of successful snapshot receives', ['From']);
    this.proposalsCommitted = g('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.');
    this.proposalsApplied = g('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.');
    this.proposalsPending = g('etcd_server_proposals_pending', 'The current number of pending proposals to commit.');
    this.proposalsFailed = c('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.');
    this.dbTotalSize = g('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
    this.dbTotalSizeInUse = g('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.');
    this.walFsync = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: diskBuckets,
      registers: [r],
    });
    this.backendCommit = new Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend.',
      buckets: diskBuckets,
      registers: [r],
    });
    const self = this;
    this.keysTotal = new Gauge({
      name: 'etcd_debugging_mvcc_keys_total',
      help: 'Total number of keys.',
      registers: [r],
      collect() {
        this.set(self.countKeys());
      },
    });
    this.putTotal = c('etcd_mvcc_put_total', 'Total number of puts seen by this member.');
    this.deleteTotal = c('etcd_mvcc_delete_total', 'Total number of deletes seen by this member.');
    this.rangeTotal = c('etcd_mvcc_range_total', 'Total number of ranges seen by this member.');
    this.txnTotal = c('etcd_mvcc_txn_total', 'Total number of txns seen by this member.');
    this.grpcStarted = c('grpc_server_started_total', 'Total number of RPCs started on the server.', ['grpc_type', 'grpc_service', 'grpc_method']);
    this.grpcHandled = c('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', [
      'grpc_type',
      'grpc_service',
      'grpc_method',
      'grpc_code',
    ]);
    g('etcd_server_version', 'Which version is running. 1 for \'server_version\' label with current version.', ['server_version']).set(
      { server_version: opts.serverVersion },
      1,
    );
    g('etcd_cluster_version', 'Which version is running. 1 for \'cluster_version\' label with current cluster version', ['cluster_version']).set(
      { cluster_version: opts.clusterVersion },
      1,
    );
    this.serverId = g('etcd_server_id', 'Server or member ID in hexadecimal format. 1 for \'server_id\' label with current ID.', ['server_id']);
    this.walWriteBytes = c('etcd_disk_wal_write_bytes_total', 'Total number of bytes written in WAL.');
    this.leaseExpired = c('etcd_server_lease_expired_total', 'The total number of expired leases.');
    // process_resident_memory_bytes and friends: etcdctl check datascale reads them.
    if (opts.defaultMetrics) collectDefaultMetrics({ register: r });
  }

  /** Live keys, counted at scrape time (etcd keeps a running gauge; a count is never wrong). */
  keysFrom(count: () => number): void {
    this.countKeys = count;
  }

  /** Watch gauges read from the hub at scrape time (etcd's watchable-store gauges). */
  watchGauges(stats: () => { watchers: number; unsynced: number; victims: number; pendingEvents: number }, streams: () => number): void {
    const r = this.registry;
    new Gauge({ name: 'etcd_debugging_mvcc_watcher_total', help: 'Total number of watchers.', registers: [r], collect() { this.set(stats().watchers); } });
    new Gauge({
      name: 'etcd_debugging_mvcc_slow_watcher_total',
      help: 'Total number of unsynced slow watchers.',
      registers: [r],
      collect() {
        const s = stats();
        this.set(s.unsynced + s.victims);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_pending_events_total',
      help: 'Total number of pending events to be sent.',
      registers: [r],
      collect() {
        this.set(stats().pendingEvents);
      },
    });
    new Gauge({ name: 'etcd_debugging_mvcc_watch_stream_total', help: 'Total number of watch streams.', registers: [r], collect() { this.set(streams()); } });
  }

  setMemberId(hex: string): void {
    this.serverId.reset();
    this.serverId.set({ server_id: hex }, 1);
  }
}
