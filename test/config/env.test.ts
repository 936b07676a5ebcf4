import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, FLAGS, flagToEnv, parseServerConfig } from '../../src/config/index.js';

test('every flag maps to ETCD_<UPPER_SNAKE>', () => {
  assert.equal(flagToEnv('data-dir'), 'ETCD_DATA_DIR');
  assert.equal(flagToEnv('experimental-enable-v2v3'), 'ETCD_EXPERIMENTAL_ENABLE_V2V3');
  for (const f of FLAGS) assert.match(flagToEnv(f.name), /^ETCD_[A-Z0-9_]+$/);
});

test('environment variables set flags not given on the command line', () => {
  const c = parseServerConfig([], {
    ETCD_NAME: 'envname',
    ETCD_DATA_DIR: '/var/lib/x',
    ETCD_SNAPSHOT_COUNT: '5000',
    ETCD_PRE_VOTE: 'true',
    ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:12379',
    ETCD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:12379',
    ETCD_LOG_OUTPUTS: 'stdout',
  });
  assert.equal(c.name, 'envname');
  assert.equal(c.dataDir, '/var/lib/x');
  assert.equal(c.snapshotCount, 5000);
  assert.equal(c.preVote, true);
  assert.deepEqual(c.listenClientUrls.map((u) => u.href), ['http://127.0.0.1:12379']);
  assert.deepEqual(c.logOutputs, ['stdout']);
  assert.equal(c.sources.get('name'), 'env');
  assert.equal(c.sources.get('wal-dir'), 'default');
  const used = c.notices.filter((n) => n.msg.startsWith('recognized and used environment variable'));
  assert.ok(used.some((n) => n.msg === 'recognized and used environment variable ETCD_SNAPSHOT_COUNT=5000' && n.level === 'info'));
});

test('a flag and the environment variable for it together are an error, as in etcd 3.4', () => {
  for (const value of ['other', '']) {
    assert.throws(
      () => parseServerConfig(['--name=cli'], { ETCD_NAME: value }),
      (e: unknown) =>
        e instanceof ConfigError && e.exitCode === 1 &&
        e.message === 'conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)',
    );
  }
  // Other flags from the environment still combine with the command line.
  const c = parseServerConfig(['--name=cli'], { ETCD_SNAPSHOT_COUNT: '7' });
  assert.equal(c.name, 'cli');
  assert.equal(c.snapshotCount, 7);
  assert.equal(c.sources.get('name'), 'flag');
});

test('empty variables count as unset; unknown ETCD_* variables are warned about, others ignored', () => {
  const c = parseServerConfig([], { ETCD_NAME: '', ETCD_FOO: 'bar', ETCDCTL_API: '3', HOME: '/root', ETCD_UNSUPPORTED_ARCH: 'arm64' });
  assert.equal(c.name, 'default');
  const unrecognized = c.notices.filter((n) => n.msg.startsWith('unrecognized environment variable'));
  assert.deepEqual(unrecognized.map((n) => [n.level, n.msg]), [
    ['warn', 'unrecognized environment variable ETCD_NAME='],
    ['warn', 'unrecognized environment variable ETCD_FOO=bar'],
  ]);
});

test('malformed environment values name the variable (exit 1)', () => {
  assert.throws(
    () => parseServerConfig([], { ETCD_SNAPSHOT_COUNT: 'abc' }),
    (e: unknown) => e instanceof ConfigError && e.exitCode === 1 && e.message === 'invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error',
  );
  assert.throws(
    () => parseServerConfig([], { ETCD_LISTEN_PEER_URLS: 'localhost:2380' }),
    (e: unknown) => e instanceof ConfigError && /for ETCD_LISTEN_PEER_URLS: URL scheme must be/.test(e.message),
  );
});

test('listen-client-urls from the environment also requires advertise-client-urls', () => {
  assert.throws(
    () => parseServerConfig([], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1' }),
    (e: unknown) => e instanceof ConfigError && e.message === '--advertise-client-urls is required when --listen-client-urls is set explicitly',
  );
});
