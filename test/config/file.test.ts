import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseServerConfig } from '../../src/config/index.js';

/** Parses with an in-memory config file. */
function fromFile(yaml: string, argv: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return parseServerConfig(['--config-file=/etc/tsetcd.yaml', ...argv], env, {
    readFile: (p) => {
      assert.equal(p, '/etc/tsetcd.yaml');
      return yaml;
    },
  });
}

function throwsConfig(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.exitCode === 1 && re.test(e.message));
}

test("etcd's YAML keys, including the nested TLS sections", () => {
  const c = fromFile(`
name: infra1
data-dir: /var/lib/etcd
wal-dir: /wal
snapshot-count: 10000
heartbeat-interval: 200
election-timeout: 2000
quota-backend-bytes: 8589934592
max-request-bytes: 10485760
max-txn-ops: 256
listen-peer-urls: http://10.0.0.1:2380
listen-client-urls: http://10.0.0.1:2379,http://127.0.0.1:2379
advertise-client-urls: http://10.0.0.1:2379
listen-metrics-urls: http://127.0.0.1:2381
initial-cluster: infra1=http://10.0.0.1:2380,infra1=http://10.0.1.1:2380
initial-advertise-peer-urls: http://10.0.0.1:2380,http://10.0.1.1:2380
initial-cluster-token: tok
initial-cluster-state: existing
auto-compaction-mode: revision
auto-compaction-retention: "1000"
log-level: debug
logger: zap
log-outputs: [stderr, /var/log/tsetcd.log]
pre-vote: yes
client-transport-security:
  cert-file: /c.pem
  key-file: /k.pem
  client-cert-auth: true
  trusted-ca-file: /ca.pem
peer-transport-security:
  auto-tls: true
cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
grpc-keepalive-interval: 3600000000000
`);
  assert.equal(c.name, 'infra1');
  assert.equal(c.dataDir, '/var/lib/etcd');
  assert.equal(c.walDir, '/wal');
  assert.equal(c.snapshotCount, 10000);
  assert.equal(c.heartbeatIntervalMs, 200);
  assert.equal(c.electionTimeoutMs, 2000);
  assert.equal(c.quotaBackendBytes, 8589934592);
  assert.equal(c.maxRequestBytes, 10485760);
  assert.equal(c.maxTxnOps, 256);
  assert.deepEqual(c.listenClientUrls.map((u) => u.href), ['http://10.0.0.1:2379', 'http://127.0.0.1:2379']);
  assert.deepEqual(c.listenMetricsUrls.map((u) => u.href), ['http://127.0.0.1:2381']);
  assert.deepEqual([...c.initialClusterMembers.keys()], ['infra1']);
  assert.equal(c.initialCluster, 'infra1=http://10.0.0.1:2380,infra1=http://10.0.1.1:2380');
  assert.equal(c.initialClusterState, 'existing');
  assert.equal(c.initialClusterToken, 'tok');
  assert.deepEqual(c.autoCompaction, { mode: 'revision', retention: '1000', revisions: 1000 });
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(c.logOutputs, ['/var/log/tsetcd.log', 'stderr']);
  assert.equal(c.preVote, true, 'YAML 1.1 booleans, as sigs.k8s.io/yaml reads them');
  assert.equal(c.clientTls.certFile, '/c.pem');
  assert.equal(c.clientTls.clientCertAuth, true);
  assert.equal(c.clientTls.trustedCaFile, '/ca.pem');
  assert.equal(c.peerTls.autoTls, true);
  assert.deepEqual(c.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
  assert.equal(c.grpcKeepAliveIntervalMs, 3_600_000, 'durations are nanoseconds in the file');
  assert.equal(c.configFile, '/etc/tsetcd.yaml');
  assert.equal(c.sources.get('name'), 'file');
});

test('with a config file, other flags and ETCD_* variables are ignored (and named in a warning)', () => {
  const c = fromFile('name: fromfile\n', ['--name=fromflag', '--snapshot-count=5'], { ETCD_MAX_TXN_OPS: '1', ETCD_SNAPSHOT_COUNT: 'abc' });
  assert.equal(c.name, 'fromfile');
  assert.equal(c.snapshotCount, 100000);
  assert.equal(c.maxTxnOps, 128);
  const w = c.notices.find((n) => n.msg.startsWith('ignoring command-line flags'));
  assert.deepEqual(w?.fields?.flags, ['--name', '--snapshot-count']);
  assert.deepEqual(w?.fields?.['environment-variables'], ['ETCD_MAX_TXN_OPS', 'ETCD_SNAPSHOT_COUNT']);
  // In file mode etcd keeps the default advertise URL when only listen URLs are given.
  const d = fromFile('listen-client-urls: http://127.0.0.1:2379\n');
  assert.deepEqual(d.advertiseClientUrls.map((u) => u.href), ['http://localhost:2379']);
});

test('ETCD_CONFIG_FILE selects the file when --config-file is absent', () => {
  const c = parseServerConfig([], { ETCD_CONFIG_FILE: '/x.yaml', ETCD_NAME: 'ignored' }, { readFile: () => 'name: viaenv\n' });
  assert.equal(c.name, 'viaenv');
  assert.equal(c.configFile, '/x.yaml');
});

test('keys are matched case-insensitively, unknown keys warned about, null keeps the default', () => {
  const c = fromFile('Name: upper\nsnapshot-cuont: 5\nwal-dir:\n');
  assert.equal(c.name, 'upper');
  assert.equal(c.walDir, '');
  const w = c.notices.filter((n) => n.msg === 'unknown key in configuration file, ignoring');
  assert.deepEqual(w.map((n) => n.fields?.key), ['snapshot-cuont']);
});

test('values must have the YAML type etcd decodes them into', () => {
  throwsConfig(() => fromFile('snapshot-count: abc\n'), /key "snapshot-count" must be an integer, got string "abc"/);
  throwsConfig(() => fromFile('snapshot-count: -1\n'), /key "snapshot-count" must be an integer in \[0, /);
  throwsConfig(() => fromFile('heartbeat-interval: "100"\n'), /key "heartbeat-interval" must be an integer/);
  throwsConfig(() => fromFile('snapshot-count: 1.5\n'), /key "snapshot-count" must be an integer, got number 1.5/);
  throwsConfig(() => fromFile('auto-compaction-retention: 1\n'), /key "auto-compaction-retention" must be a string, got number 1/);
  throwsConfig(() => fromFile('name: [1, 2]\n'), /key "name" must be a string, got sequence/);
  throwsConfig(() => fromFile('log-outputs: stderr\n'), /key "log-outputs" must be a sequence of strings/);
  throwsConfig(() => fromFile('listen-client-urls: [http://127.0.0.1:1]\n'), /key "listen-client-urls" must be a comma-separated string/);
  throwsConfig(() => fromFile('listen-client-urls: notaurl\n'), /listen-client-urls.*URL scheme must be http, https, unix, or unixs: notaurl/);
  throwsConfig(() => fromFile('initial-cluster-state: foo\n'), /^unexpected clusterState "foo"$/);
  throwsConfig(() => fromFile('election-timeout: 200\n'), /should be at least as 5 times as --heartbeat-interval/);
  throwsConfig(() => fromFile('a: [1\nb: 2\n'), /error converting YAML to JSON/);
  throwsConfig(() => fromFile('- a\n- b\n'), /must be a mapping/);
});

test('like etcd: an empty file means defaults, a repeated key takes its last value, only the first document counts', () => {
  assert.equal(fromFile('').name, 'default');
  assert.equal(fromFile('# only a comment\n').name, 'default');
  assert.equal(fromFile('name: a\nname: b\n').name, 'b');
  assert.equal(fromFile('name: first\n---\nname: second\n').name, 'first');
});

test('a missing config file is a clear error naming the path', () => {
  assert.throws(
    () => parseServerConfig(['--config-file=/definitely/not/here.yaml'], {}),
    (e: unknown) => e instanceof ConfigError && e.exitCode === 1 && e.message === 'open /definitely/not/here.yaml: no such file or directory',
  );
});
