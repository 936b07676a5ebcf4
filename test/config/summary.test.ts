import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerConfig, startupLogFields } from '../../src/config/index.js';

/**
 * The "starting an etcd server" line real etcd 3.4.23 printed for
 * `etcd --logger=zap --data-dir=/tmp/etx/d --snapshot-count 5000 (env) --listen-client-urls=http://127.0.0.1:23791 ...`
 * (recorded while writing this module), minus the build fields the server adds itself.
 */
const ETCD_3_4_LINE = {
  'member-initialized': false, name: 'default', 'data-dir': '/tmp/etx/d', 'wal-dir': '', 'wal-dir-dedicated': '',
  'member-dir': '/tmp/etx/d/member', 'force-new-cluster': false, 'heartbeat-interval': '100ms', 'election-timeout': '1s',
  'initial-election-tick-advance': true, 'snapshot-count': 5000, 'max-wals': 5, 'max-snapshots': 5,
  'initial-advertise-peer-urls': ['http://127.0.0.1:23801'], 'listen-peer-urls': ['http://127.0.0.1:23801'],
  'advertise-client-urls': ['http://127.0.0.1:23791'], 'listen-client-urls': ['http://127.0.0.1:23791'],
  'listen-metrics-urls': [], cors: ['*'], 'host-whitelist': ['*'], 'initial-cluster': 'default=http://127.0.0.1:23801',
  'initial-cluster-state': 'new', 'initial-cluster-token': 'etcd-cluster', 'quota-backend-bytes': 2147483648,
  'max-request-bytes': 1572864, 'max-concurrent-streams': 4294967295, 'pre-vote': false, 'initial-corrupt-check': false,
  'corrupt-check-time-interval': '0s', 'auto-compaction-mode': 'periodic', 'auto-compaction-retention': '0s',
  'discovery-url': '', 'discovery-proxy': '',
};

test("startupLogFields reproduces etcd 3.4's startup summary for the same flags", () => {
  const cfg = parseServerConfig(
    [
      '--data-dir=/tmp/etx/d',
      '--listen-client-urls=http://127.0.0.1:23791', '--advertise-client-urls=http://127.0.0.1:23791',
      '--listen-peer-urls=http://127.0.0.1:23801', '--initial-advertise-peer-urls=http://127.0.0.1:23801',
      '--initial-cluster=default=http://127.0.0.1:23801',
    ],
    { ETCD_SNAPSHOT_COUNT: '5000' },
  );
  assert.deepEqual(startupLogFields(cfg, false), ETCD_3_4_LINE);
});

test('startupLogFields formats durations and retention readably', () => {
  const cfg = parseServerConfig(['--heartbeat-interval=250', '--election-timeout=2500', '--auto-compaction-retention=90m'], {});
  const f = startupLogFields(cfg, true);
  assert.equal(f['heartbeat-interval'], '250ms');
  assert.equal(f['election-timeout'], '2.5s');
  assert.equal(f['auto-compaction-retention'], '1h30m0s');
  assert.equal(f['member-initialized'], true);
  const rev = startupLogFields(parseServerConfig(['--auto-compaction-mode=revision', '--auto-compaction-retention=1000'], {}), false);
  assert.equal(rev['auto-compaction-retention'], '1000');
});
