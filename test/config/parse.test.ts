import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseInvocation, parseServerConfig, type ServerConfig } from '../../src/config/index.js';

const hrefs = (us: readonly { href: string }[]): string[] => us.map((u) => u.href);

function expectError(fn: () => unknown, exitCode: number, message: string | RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.exitCode, exitCode, `exit code for: ${e.message}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return;
  }
  assert.fail('expected a ConfigError');
}

test('defaults are etcd 3.4 defaults (data dir named for tsetcd)', () => {
  const c: ServerConfig = parseServerConfig([], {});
  assert.equal(c.name, 'default');
  assert.equal(c.dataDir, 'default.tsetcd');
  assert.equal(c.walDir, '');
  assert.deepEqual(hrefs(c.listenClientUrls), ['http://localhost:2379']);
  assert.deepEqual(hrefs(c.advertiseClientUrls), ['http://localhost:2379']);
  assert.deepEqual(hrefs(c.listenPeerUrls), ['http://localhost:2380']);
  assert.deepEqual(hrefs(c.initialAdvertisePeerUrls), ['http://localhost:2380']);
  assert.deepEqual(hrefs(c.listenMetricsUrls), []);
  assert.equal(c.initialCluster, 'default=http://localhost:2380');
  assert.deepEqual([...c.initialClusterMembers.keys()], ['default']);
  assert.equal(c.initialClusterState, 'new');
  assert.equal(c.initialClusterToken, 'etcd-cluster');
  assert.equal(c.snapshotCount, 100000);
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.quotaBackendBytes, 0);
  assert.equal(c.effectiveQuotaBackendBytes, 2 * 1024 * 1024 * 1024);
  assert.equal(c.maxRequestBytes, 1572864);
  assert.equal(c.maxTxnOps, 128);
  assert.deepEqual(c.autoCompaction, { mode: 'periodic', retention: '0', periodMs: 0 });
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logger, 'zap');
  assert.deepEqual(c.logOutputs, ['default']);
  assert.equal(c.strictReconfigCheck, true);
  assert.equal(c.preVote, false);
  assert.equal(c.enableV2, false);
  assert.equal(c.configFile, null);
  assert.equal(c.sources.get('name'), 'default');
});

test('every ServerConfig field is defined, for defaults and for a config using every source', async () => {
  const { defaultServerConfig } = await import('../../src/config/index.js');
  const check = (c: ServerConfig): void => {
    for (const [k, v] of Object.entries(c)) assert.notEqual(v, undefined, k);
    for (const [k, v] of Object.entries(c.clientTls)) assert.notEqual(v, undefined, `clientTls.${k}`);
    for (const [k, v] of Object.entries(c.peerTls)) assert.notEqual(v, undefined, `peerTls.${k}`);
  };
  check(defaultServerConfig());
  check(parseServerConfig(['--peer-cert-allowed-cn=x', '--client-crl-file=/crl'], { ETCD_AUTH_TOKEN: 'jwt' }));
});

test('flag syntaxes of Go\'s flag package: --f v, --f=v, -f v, -f=v, bare booleans', () => {
  for (const argv of [
    ['--name', 'n1'], ['--name=n1'], ['-name', 'n1'], ['-name=n1'],
  ]) {
    assert.equal(parseServerConfig(argv, {}).name, 'n1', argv.join(' '));
  }
  assert.equal(parseServerConfig(['--pre-vote'], {}).preVote, true);
  assert.equal(parseServerConfig(['-pre-vote'], {}).preVote, true);
  assert.equal(parseServerConfig(['--strict-reconfig-check=false'], {}).strictReconfigCheck, false);
  assert.equal(parseServerConfig(['--strict-reconfig-check=0'], {}).strictReconfigCheck, false);
  // A non-boolean flag takes the next argument even when it looks like a flag.
  assert.equal(parseServerConfig(['--name', '--weird'], {}).name, '--weird');
  // The last occurrence wins.
  assert.equal(parseServerConfig(['--name=a', '--name=b'], {}).name, 'b');
  // Go's integer syntax: base prefixes and underscores.
  assert.equal(parseServerConfig(['--snapshot-count=0x10'], {}).snapshotCount, 16);
  assert.equal(parseServerConfig(['--snapshot-count=1_000'], {}).snapshotCount, 1000);
  assert.equal(parseServerConfig(['--grpc-keepalive-interval=1h30m'], {}).grpcKeepAliveIntervalMs, 5_400_000);
});

test('command-line errors: messages and exit codes of etcd 3.4', () => {
  expectError(() => parseServerConfig(['--foo'], {}), 2, 'flag provided but not defined: -foo');
  expectError(() => parseServerConfig(['-foo'], {}), 2, 'flag provided but not defined: -foo');
  expectError(() => parseServerConfig(['--snapshot-count=abc'], {}), 2, 'invalid value "abc" for flag -snapshot-count: parse error');
  expectError(() => parseServerConfig(['--heartbeat-interval=-1'], {}), 2, 'invalid value "-1" for flag -heartbeat-interval: parse error');
  expectError(
    () => parseServerConfig(['--max-txn-ops=99999999999999999999'], {}), 2,
    'invalid value "99999999999999999999" for flag -max-txn-ops: value out of range',
  );
  expectError(() => parseServerConfig(['--initial-cluster-state=foo'], {}), 2, 'invalid value "foo" for flag -initial-cluster-state: invalid value');
  expectError(
    () => parseServerConfig(['--listen-client-urls=notaurl'], {}), 2,
    'invalid value "notaurl" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: notaurl',
  );
  expectError(
    () => parseServerConfig(['--listen-client-urls=http://localhost'], {}), 2,
    'invalid value "http://localhost" for flag -listen-client-urls: URL address does not have the form "host:port": http://localhost',
  );
  expectError(
    () => parseServerConfig(['--listen-client-urls=http://localhost:1/path'], {}), 2,
    'invalid value "http://localhost:1/path" for flag -listen-client-urls: URL must not contain a path: http://localhost:1/path',
  );
  expectError(() => parseServerConfig(['--enable-v2=xyz'], {}), 2, 'invalid boolean value "xyz" for -enable-v2: parse error');
  expectError(() => parseServerConfig(['--name'], {}), 2, 'flag needs an argument: -name');
  expectError(() => parseServerConfig(['---foo'], {}), 2, 'bad flag syntax: ---foo');
  expectError(() => parseServerConfig(['-=x'], {}), 2, 'bad flag syntax: -=x');
  expectError(() => parseServerConfig(['--grpc-keepalive-min-time=5'], {}), 2, 'invalid value "5" for flag -grpc-keepalive-min-time: parse error');
  expectError(
    () => parseServerConfig(['--max-concurrent-streams=-1'], {}), 2,
    'invalid value "-1" for flag -max-concurrent-streams: strconv.ParseUint: parsing "-1": invalid syntax',
  );
  // Positional leftovers are a verification error (exit 1), as in etcd.
  expectError(() => parseServerConfig(['extra'], {}), 1, "'extra' is not a valid flag");
  expectError(() => parseServerConfig(['--enable-v2', 'false'], {}), 1, "'false' is not a valid flag");
  expectError(() => parseServerConfig(['--', 'x'], {}), 1, "'x' is not a valid flag");
  assert.equal(parseServerConfig(['--'], {}).name, 'default');
  expectError(() => parseServerConfig(['gateway', 'start'], {}), 1, "'etcd gateway' is not implemented by tsetcd; run the real etcd for it");
});

test('validation errors: etcd\'s messages, exit code 1', () => {
  expectError(
    () => parseServerConfig(['--election-timeout=100'], {}), 1,
    '--election-timeout[100ms] should be at least as 5 times as --heartbeat-interval[100ms]',
  );
  expectError(() => parseServerConfig(['--heartbeat-interval=0'], {}), 1, '--heartbeat-interval must be >0 (set to 0ms)');
  expectError(
    () => parseServerConfig(['--election-timeout=60000', '--heartbeat-interval=1000'], {}), 1,
    '--election-timeout[60000ms] is too long, and should be set less than 50000ms',
  );
  expectError(() => parseServerConfig(['--auto-compaction-mode=foo'], {}), 1, 'unknown auto-compaction-mode "foo"');
  expectError(() => parseServerConfig(['--logger=foo'], {}), 1, 'unknown logger option "foo"');
  expectError(() => parseServerConfig(['--log-level=foo'], {}), 1, 'unknown level "foo"');
  expectError(() => parseServerConfig(['--listen-client-urls=http://foo.com:1'], {}), 1, 'expected IP in URL for binding (http://foo.com:1)');
  expectError(
    () => parseServerConfig(['--listen-client-urls=http://1.2.3.4:1'], {}), 1,
    '--advertise-client-urls is required when --listen-client-urls is set explicitly',
  );
  expectError(
    () => parseServerConfig(['--advertise-client-urls=http://:2379'], {}), 1,
    '--advertise-client-urls "http://:2379" must be "host:port" (unexpected empty host (http://:2379))',
  );
});

test('URL lists are sorted and de-duplicated, IPv6 and explicit default ports kept', () => {
  const c = parseServerConfig(
    ['--listen-client-urls=http://127.0.0.1:2379,http://[::1]:80,http://127.0.0.1:2379', '--advertise-client-urls=https://db.example:2379'],
    {},
  );
  assert.deepEqual(hrefs(c.listenClientUrls), ['http://127.0.0.1:2379', 'http://[::1]:80']);
  assert.equal(c.listenClientUrls[1]!.hostname, '::1');
  assert.equal(c.listenClientUrls[1]!.port, 80);
  assert.equal(c.listenClientUrls[1]!.host, '[::1]:80');
  assert.equal(c.advertiseClientUrls[0]!.scheme, 'https');
});

test('--initial-cluster is parsed into name → peer URLs; --name alone derives it', () => {
  const c = parseServerConfig(
    [
      '--name=n1', '--initial-advertise-peer-urls=http://10.0.1.1:2380,http://10.0.0.1:2380',
      '--initial-cluster=n1=http://10.0.1.1:2380,n1=http://10.0.0.1:2380',
    ],
    {},
  );
  assert.deepEqual([...c.initialClusterMembers.keys()], ['n1']);
  assert.deepEqual(hrefs(c.initialClusterMembers.get('n1')!), ['http://10.0.0.1:2380', 'http://10.0.1.1:2380']);
  assert.equal(c.initialCluster, 'n1=http://10.0.0.1:2380,n1=http://10.0.1.1:2380');
  const derived = parseServerConfig(['--name=solo', '--initial-advertise-peer-urls=http://10.0.0.9:2380'], {});
  assert.equal(derived.initialCluster, 'solo=http://10.0.0.9:2380');
  assert.equal(derived.dataDir, 'solo.tsetcd');
  expectError(
    () => parseServerConfig(['--initial-cluster=n1=ftp://x:1'], {}), 1,
    'invalid --initial-cluster "n1=ftp://x:1": URL scheme must be http, https, unix, or unixs: ftp://x:1',
  );
  const two = parseServerConfig(['--name=n1', '--initial-cluster=n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380'], {});
  assert.deepEqual([...two.initialClusterMembers.keys()], ['n1', 'n2']);
});

test('auto compaction retention: hours by default, durations, revisions', () => {
  assert.deepEqual(parseServerConfig(['--auto-compaction-retention=1'], {}).autoCompaction, { mode: 'periodic', retention: '1', periodMs: 3_600_000 });
  assert.deepEqual(parseServerConfig(['--auto-compaction-retention=5m'], {}).autoCompaction, { mode: 'periodic', retention: '5m', periodMs: 300_000 });
  assert.deepEqual(parseServerConfig(['--auto-compaction-retention=1.5h'], {}).autoCompaction, { mode: 'periodic', retention: '1.5h', periodMs: 5_400_000 });
  assert.deepEqual(
    parseServerConfig(['--auto-compaction-mode=revision', '--auto-compaction-retention=1000'], {}).autoCompaction,
    { mode: 'revision', retention: '1000', revisions: 1000 },
  );
  expectError(() => parseServerConfig(['--auto-compaction-retention=abc'], {}), 1, 'error parsing CompactionRetention: time: invalid duration "abc"');
  expectError(
    () => parseServerConfig(['--auto-compaction-mode=revision', '--auto-compaction-retention=5m'], {}), 1,
    '--auto-compaction-retention "5m" must be a number of revisions in revision mode',
  );
});

test('--help and --version are answered before anything is validated', () => {
  const h = parseInvocation(['--help'], {});
  assert.equal(h.kind, 'help');
  if (h.kind === 'help') {
    assert.match(h.stderr, /^Usage:/);
    assert.match(h.stdout, /--data-dir '\$\{name\}\.tsetcd'/);
  }
  assert.equal(parseInvocation(['-h'], {}).kind, 'help');
  assert.equal(parseInvocation(['--version', '--election-timeout=1'], {}).kind, 'version');
  expectError(() => parseServerConfig(['--version'], {}), 0, 'version requested');
});

test('formatConfigError prints what etcd prints before exiting', async () => {
  const { formatConfigError, USAGE_TEXT } = await import('../../src/config/index.js');
  const usage = (() => { try { parseServerConfig(['--nope'], {}); } catch (e) { return e as ConfigError; } throw new Error('no error'); })();
  assert.equal(formatConfigError(usage), `flag provided but not defined: -nope\n${USAGE_TEXT}`);
  const invalid = (() => { try { parseServerConfig(['--election-timeout=1'], {}); } catch (e) { return e as ConfigError; } throw new Error('no error'); })();
  const line = formatConfigError(invalid, new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)));
  assert.ok(line.endsWith('}\n'));
  const j = JSON.parse(line) as Record<string, string>;
  assert.deepEqual(Object.keys(j), ['level', 'ts', 'caller', 'msg', 'error']);
  assert.equal(j.level, 'warn');
  assert.equal(j.msg, 'failed to verify flags');
  assert.equal(j.error, '--election-timeout[1ms] should be at least as 5 times as --heartbeat-interval[100ms]');
});
