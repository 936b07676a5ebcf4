import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, FLAGS, flagsHelpText, logConfigNotices, parseServerConfig, verifyBootstrap,
} from '../../src/config/index.js';

const inactiveWarnings = (argv: string[]) =>
  parseServerConfig(argv, {}).notices.filter((n) => n.msg === 'flag is accepted for etcd compatibility but has no effect in tsetcd yet');

test('each inactive flag set to a non-default value is warned about, once, with its reason', () => {
  const w = inactiveWarnings(['--pre-vote', '--enable-v2', '--client-crl-file=/c.pem', '--force-new-cluster', '--enable-pprof']);
  assert.deepEqual(w.map((n) => n.fields?.flag), ['--pre-vote', '--enable-v2', '--client-crl-file', '--enable-pprof', '--force-new-cluster']);
  assert.ok(w.every((n) => n.level === 'warn' && typeof n.fields?.reason === 'string' && n.fields.reason !== ''));
  assert.equal(w.find((n) => n.fields?.flag === '--client-crl-file')?.fields?.value, '/c.pem');
});

test('setting an inactive flag to its default is not worth a warning', () => {
  assert.deepEqual(inactiveWarnings(['--pre-vote=false', '--strict-reconfig-check=true', '--max-wals=5']), []);
  assert.deepEqual(inactiveWarnings([]), []);
});

test('every inactive or unsupported flag carries a reason; each status is exercised', () => {
  for (const f of FLAGS) {
    if (f.status !== 'active') assert.ok((f.note ?? '') !== '', `--${f.name} needs a note`);
  }
  const statuses = new Set(FLAGS.map((f) => f.status));
  assert.deepEqual([...statuses].sort(), ['active', 'inactive', 'unsupported']);
});

test('unsupported flags are refused with a reason; their defaults are fine', () => {
  for (const argv of [['--discovery=https://discovery.etcd.io/x'], ['--proxy=on'], ['--discovery-srv=example.com']]) {
    assert.throws(
      () => parseServerConfig(argv, {}),
      (e: unknown) => e instanceof ConfigError && e.exitCode === 1 && /is not supported by tsetcd: /.test(e.message),
      argv.join(' '),
    );
  }
  assert.equal(parseServerConfig(['--proxy=off'], {}).name, 'default');
});

test('unix socket listeners are refused clearly', () => {
  assert.throws(
    () => parseServerConfig(['--listen-client-urls=unix://localhost:1', '--advertise-client-urls=http://localhost:1'], {}),
    (e: unknown) => e instanceof ConfigError && /unix sockets are not supported/.test(e.message),
  );
});

test('logging flags: capnslog maps to zap with a warning; --debug means debug; deprecated --log-output', () => {
  const c = parseServerConfig(['--logger=capnslog'], {});
  assert.equal(c.logger, 'zap');
  assert.ok(c.notices.some((n) => n.level === 'warn' && n.msg.includes("Deprecated '--logger=capnslog'")));
  assert.equal(parseServerConfig(['--debug'], {}).logLevel, 'debug');
  assert.equal(parseServerConfig(['--debug', '--log-level=warn'], {}).logLevel, 'warn');
  assert.deepEqual(parseServerConfig(['--log-output=stdout'], {}).logOutputs, ['stdout']);
  const both = parseServerConfig(['--log-output=stdout', '--log-outputs=stderr'], {});
  assert.deepEqual(both.logOutputs, ['stderr']);
  assert.ok(both.notices.some((n) => n.msg.includes("Deprecated '--log-output'")));
  assert.deepEqual(parseServerConfig(['--log-outputs=/tmp/a.log,stderr,stderr'], {}).logOutputs, ['/tmp/a.log', 'stderr']);
});

test('quota, snapshot count and ignored legacy flags get etcd\'s startup treatment', () => {
  assert.equal(parseServerConfig(['--quota-backend-bytes=-1'], {}).effectiveQuotaBackendBytes, null);
  assert.equal(parseServerConfig(['--quota-backend-bytes=1024'], {}).effectiveQuotaBackendBytes, 1024);
  const big = parseServerConfig(['--quota-backend-bytes=17179869184'], {});
  assert.ok(big.notices.some((n) => n.msg === 'quota exceeds the maximum value'));
  assert.equal(parseServerConfig(['--snapshot-count=0'], {}).snapshotCount, 100000);
  const legacy = parseServerConfig(['-v', '--snapshot=x'], {});
  assert.deepEqual(
    legacy.notices.filter((n) => n.msg.includes('no longer supported')).map((n) => n.msg),
    ['flag "-v" is no longer supported - ignoring.', 'flag "-snapshot" is no longer supported - ignoring.'],
  );
});

test('logConfigNotices writes each notice at its level with its fields', () => {
  const seen: [string, object, string][] = [];
  const fake = {
    info: (o: object, m: string) => seen.push(['info', o, m]),
    warn: (o: object, m: string) => seen.push(['warn', o, m]),
  };
  logConfigNotices(fake, [
    { level: 'info', msg: 'a' },
    { level: 'warn', msg: 'b', fields: { flag: '--x' } },
  ]);
  assert.deepEqual(seen, [['info', {}, 'a'], ['warn', { flag: '--x' }, 'b']]);
});

test('verifyBootstrap: the member must be in --initial-cluster at its advertised peer URLs', () => {
  verifyBootstrap(parseServerConfig([], {}));
  verifyBootstrap(parseServerConfig(['--name=n1'], {}));
  const err = (argv: string[], re: RegExp): void => {
    assert.throws(() => verifyBootstrap(parseServerConfig(argv, {})), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  };
  err(['--name=n1', '--initial-cluster=n2=http://localhost:2380'], /^couldn't find local name "n1" in the initial cluster configuration$/);
  // The etcd gotcha: with the default name, changing the advertised URL does not rewrite the default cluster.
  err(['--initial-advertise-peer-urls=http://10.0.0.1:2380'], /^--initial-cluster has default=http:\/\/localhost:2380 but missing from --initial-advertise-peer-urls=http:\/\/10.0.0.1:2380$/);
  // Duplicate URLs need several members, which parsing refuses for now: build the config by hand.
  const base = parseServerConfig([], {});
  const other = parseServerConfig(['--name=other'], {});
  const dup = { ...base, initialClusterMembers: new Map([['default', base.initialAdvertisePeerUrls], ['other', other.initialAdvertisePeerUrls]]) };
  assert.throws(() => verifyBootstrap(dup), (e: unknown) => e instanceof ConfigError && /has duplicate url/.test(e.message));
});

test('--help lists every documented flag exactly once', () => {
  const text = flagsHelpText();
  for (const f of FLAGS) {
    const count = text.split(`\n  --${f.name} `).length - 1;
    assert.equal(count, f.help === undefined ? 0 : 1, `--${f.name}`);
  }
  assert.match(text, /--pre-vote 'false'\n {4}.*\[tsetcd: accepted, no effect yet\]/);
});
