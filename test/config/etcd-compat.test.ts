/**
 * Differential tests against the real etcd 3.4 binary (Debian's etcd-server): the same bad
 * command line / environment / config file must fail the same way — same exit code, same message.
 * Every case is one etcd rejects, so etcd exits before opening its data dir or binding a port;
 * where a case is about a value that PARSES, --election-timeout=1 makes both sides fail at the
 * first validation step, which proves the value itself was accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FLAGS, parseInvocation } from '../../src/config/index.js';

const ETCD = '/usr/bin/etcd';
const skip = existsSync(ETCD) ? false : 'real etcd not installed';
const work = mkdtempSync(join(tmpdir(), 'tsetcd-compat-'));

interface Outcome {
  code: number;
  message: string;
}

/** Runs real etcd and extracts the one error it reports. */
function runEtcd(args: string[], env: Record<string, string> = {}): Outcome {
  const r = spawnSync(ETCD, ['--logger=zap', `--data-dir=${join(work, 'data')}`, ...args], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin', ...env },
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  });
  assert.notEqual(r.status, null, `etcd did not exit by itself for ${args.join(' ')}: the case must be one etcd rejects`);
  const stderr = r.stderr;
  if (r.status === 2) return { code: 2, message: stderr.split('\n')[0]! };
  for (const line of stderr.split('\n')) {
    if (line.startsWith('{')) {
      const j = JSON.parse(line) as { msg: string; error?: string };
      if (j.msg === 'failed to verify flags') return { code: r.status!, message: j.error ?? '' };
    }
    const capns = /(?:error verifying flags, (.*)\. See 'etcd --help'\.|C \| pkg\/flags: (.*))$/.exec(line);
    if (capns !== null) return { code: r.status!, message: (capns[1] ?? capns[2])! };
  }
  return { code: r.status!, message: stderr };
}

function runOurs(args: string[], env: Record<string, string> = {}): Outcome {
  try {
    parseInvocation(['--logger=zap', `--data-dir=${join(work, 'data')}`, ...args], env, {});
  } catch (e) {
    if (e instanceof ConfigError) return { code: e.exitCode, message: e.message };
    throw e;
  }
  return { code: 0, message: '' };
}

const FLAG_CASES: string[][] = [
  // rejected by Go's flag package: exit 2
  ['--foo'],
  ['-foo'],
  ['---foo'],
  ['-=x'],
  ['--name'],
  ['--snapshot-count=abc'],
  ['--snapshot-count=-1'],
  ['--heartbeat-interval=-1'],
  ['--max-txn-ops=99999999999999999999'],
  ['--max-concurrent-streams=-1'],
  ['--grpc-keepalive-min-time=5'],
  ['--enable-v2=xyz'],
  ['--initial-cluster-state=foo'],
  ['--listen-client-urls=notaurl'],
  ['--listen-client-urls=ftp://localhost:1'],
  ['--listen-client-urls=http://localhost'],
  ['--listen-client-urls=http://localhost:1/path'],
  ['--cors=notaurl'],
  // rejected after parsing: exit 1
  ['extra'],
  ['--', 'extra'],
  ['--enable-v2', 'false'],
  ['--logger=foo'],
  ['--election-timeout=100'],
  ['--heartbeat-interval=0'],
  ['--election-timeout=60000', '--heartbeat-interval=1000'],
  ['--auto-compaction-mode=foo'],
  ['--listen-client-urls=http://foo.com:1'],
  ['--listen-client-urls=http://:2379'],
  ['--listen-client-urls=http://1.2.3.4:1'],
  ['--advertise-client-urls=http://:2379', '--election-timeout=1'],
  ['--log-outputs=stdout,default'],
  ['--experimental-enable-lease-checkpoint-persist'],
  // accepted values, proven by reaching the election-timeout check
  ['--snapshot-count=0x10', '--election-timeout=1'],
  ['--snapshot-count=1_000', '--election-timeout=1'],
  ['--quota-backend-bytes=-5', '--election-timeout=1'],
  ['--pre-vote', '-strict-reconfig-check=false', '--election-timeout=1'],
  ['--v', '--snapshot=foo', '--election-timeout=1'],
  ['--grpc-keepalive-interval=1h30m', '--election-timeout=1'],
  ['--name', '--weird', '--election-timeout=1'],
  ['--listen-client-urls=http://localhost:2379,http://localhost:2379', '--advertise-client-urls=http://localhost:2379', '--election-timeout=1'],
  ['--listen-metrics-urls=http://127.0.0.1:2381', '--election-timeout=1'],
  ['--initial-cluster=', '--election-timeout=1'],
];

for (const args of FLAG_CASES) {
  test(`flags like etcd: ${args.join(' ')}`, { skip }, () => {
    assert.deepEqual(runOurs(args), runEtcd(args));
  });
}

const ENV_CASES: { env: Record<string, string>; args: string[] }[] = [
  { env: { ETCD_SNAPSHOT_COUNT: 'abc' }, args: [] },
  { env: { ETCD_INITIAL_CLUSTER_STATE: 'foo' }, args: [] },
  { env: { ETCD_NAME: '' }, args: ['--name=x'] },
  { env: { ETCD_ELECTION_TIMEOUT: '1' }, args: ['--election-timeout=1'] },
  { env: { ETCD_ELECTION_TIMEOUT: '1' }, args: [] },
  { env: { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1' }, args: [] },
  { env: { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1', ETCD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:1', ETCD_HEARTBEAT_INTERVAL: '500' }, args: [] },
];

for (const c of ENV_CASES) {
  test(`environment like etcd: ${JSON.stringify(c.env)} ${c.args.join(' ')}`, { skip }, () => {
    assert.deepEqual(runOurs(c.args, c.env), runEtcd(c.args, c.env));
  });
}

test('config file: flags and env are ignored, validation errors match etcd', { skip }, () => {
  const file = join(work, 'bad.yaml');
  writeFileSync(file, 'logger: zap\nheartbeat-interval: 100\nelection-timeout: 200\n');
  // Flags and environment that would be errors on their own are ignored once the file is used.
  const args = [`--config-file=${file}`, '--snapshot-count=5'];
  const env = { ETCD_ELECTION_TIMEOUT: '1000', ETCD_SNAPSHOT_COUNT: 'abc' };
  assert.deepEqual(runOurs(args, env), runEtcd(args, env));
  writeFileSync(file, 'logger: zap\ninitial-cluster-state: foo\n');
  assert.deepEqual(runOurs([`--config-file=${file}`]), runEtcd([`--config-file=${file}`]));
  // Unknown flags are still rejected: the command line is parsed before the file is read.
  assert.deepEqual(runOurs([`--config-file=${file}`, '--nope']), runEtcd([`--config-file=${file}`, '--nope']));
  // Type errors: etcd's wording is Go's JSON decoder's; ours names the key. Same exit code.
  writeFileSync(file, 'logger: zap\nsnapshot-count: abc\n');
  const ours = runOurs([`--config-file=${file}`]);
  assert.equal(ours.code, runEtcd([`--config-file=${file}`]).code);
  assert.match(ours.message, /snapshot-count/);
});

test('every flag in `etcd --help` is accepted, with the same default', { skip }, () => {
  const help = spawnSync(ETCD, ['--help'], { encoding: 'utf8' }).stdout;
  const shown = new Map<string, string>();
  for (const m of help.matchAll(/^ {2}--([a-z0-9-]+) (.*)$/gm)) shown.set(m[1]!, m[2]!);
  assert.ok(shown.size >= 80, `parsed ${shown.size} flags from etcd --help`);
  // Deliberate differences, documented in docs/configuration.md.
  const differs = new Map([
    ['data-dir', "'${name}.tsetcd'"],
    ['logger', "'zap'"],
  ]);
  const ours = new Map(FLAGS.map((f) => [f.name, f]));
  for (const [name, def] of shown) {
    const spec = ours.get(name);
    assert.ok(spec !== undefined, `etcd flag --${name} is not accepted by tsetcd`);
    assert.equal(spec.help?.shown, differs.get(name) ?? def, `default shown for --${name}`);
  }
});
