// The REAL etcdctl 3.4 drives the real etcd 3.4 and tsetcd through the same steps; every output
// (stdout, stderr, exit code) must match. Both servers run one after the other on the SAME ports
// with the same bootstrap flags, so member and cluster IDs (derived from peer URLs and token) and
// revisions are equal too. Only what legitimately differs is masked: the etcd version string
// (tsetcd reports the API level 3.4.0), database sizes, raft indexes (etcd writes bootstrap
// entries of its own) and latencies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { freePort, startServer, type ServerHandle, type ServerKind } from '../helpers/real-etcd.js';

interface Step {
  args: string[];
  stdin?: string;
}

const S = (args: string, stdin?: string): Step => ({ args: args.split(' ').filter((x) => x !== ''), stdin });

/** The script: each line is one etcdctl invocation, run against both servers in this order. */
const STEPS: Step[] = [
  S('put foo bar'),
  S('put foo baz --prev-kv'),
  S('put foo2 v2 -w json'),
  S('put /registry/pods/a pod-a'),
  S('put /registry/pods/b pod-b'),
  S('put /registry/secrets/default/s1 secret'),
  S('put z last'),
  S('get foo'),
  S('get foo -w json'),
  S('get foo -w fields'),
  S('get foo -w protobuf'),
  S('get foo -w table'),
  S('get missing'),
  S('get missing -w json'),
  S('get /registry/ --prefix'),
  S('get /registry/ --prefix --keys-only'),
  S('get /registry/ --prefix --print-value-only'),
  S('get /registry/ --prefix --limit 1 -w json'),
  S('get /registry/ --prefix --sort-by=MODIFY --order=DESCEND'),
  S('get /registry/ --prefix --sort-by=VALUE --order=ASCEND -w json'),
  S('get /registry/ --prefix --sort-by=CREATE --order=DESCEND --limit=2'),
  S('get /registry/ --prefix --sort-by=VERSION'),
  S('get foo --from-key --keys-only'),
  S('get "" --prefix --keys-only'),
  S('get foo --rev 2'),
  S('get foo --rev 2 -w json'),
  S('get foo --consistency=s'),
  S('get /registry/pods/a /registry/pods/z'),
  S('get foo --min-mod-rev 3 -w json'),
  S('get foo --max-create-rev 1'),
  S('get foo --rev 1000'),
  S('put "" v'),
  S('put k1'),
  S('put k1 v --ignore-value'),
  S('put never --ignore-value'),
  S('put k1 --lease=1234 v'),
  S('txn -w json', 'value("foo") = "baz"\n\nput foo qux\nget foo\n\nput foo failed\n\n'),
  S('txn', 'mod("foo") > "1000"\n\nput foo nope\n\nget foo\ndel z\n\n'),
  S('txn', 'version("nope") = "0"\ncreate("foo") > "0"\n\nput a 1\nput b 2\n\n\n'),
  S('txn', 'value("foo") = "qux"\n\nput dup 1\nput dup 2\n\n\n'),
  S('txn', 'value("foo") = "qux"\n\nput x 1\n'),
  S('txn -w fields', 'value("foo") != "x"\n\nget foo\n\n\n'),
  S('del k1'),
  S('del k1'),
  S('del /registry/pods/ --prefix --prev-kv'),
  S('del /registry/pods/ --prefix -w json'),
  S('del a --from-key -w json'),
  S('get "" --prefix -w json'),
  S('compaction 3'),
  S('get foo --rev 2'),
  S('compaction 3'),
  S('compaction 100000'),
  S('compaction 5 --physical'),
  S('endpoint health'),
  S('endpoint status -w json'),
  S('endpoint status'),
  S('endpoint status -w table'),
  S('member list'),
  S('member list -w json'),
  S('member list -w table'),
  S('alarm list'),
  S('defrag'),
  S('endpoint hashkv -w json'),
  S('endpoint hashkv --rev 5'),
  // leases: ids are random, so only the steps whose output does not print a fresh id
  S('lease list'),
  S('lease list -w json'),
  S('lease timetolive 1234'),
  S('lease timetolive 1234 -w json'),
  S('lease revoke 1234'),
  S('lease keep-alive --once 1234'),
  S('put leased v --lease=4d2'),
];

interface Outcome {
  stdout: string;
  stderr: string;
  status: number | null;
}

function runEtcdctl(endpoint: string, step: Step): Outcome {
  const args = step.args.map((a) => (a === '""' ? '' : a));
  const r = spawnSync('etcdctl', ['--endpoints', endpoint, '--command-timeout=10s', ...args], {
    input: step.stdin ?? '',
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 30_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Masks what may legitimately differ between the two servers (see the header comment). */
function normalize(s: string): string {
  return (
    s
      .replace(/took = [0-9.]+[µmn]?s/g, 'took = T')
      // etcdctl's own client logs: timestamps and per-process client ids
      .replace(/"ts":"[^"]+"/g, '"ts":T')
      .replace(/"target":"[^"]+"/g, '"target":T')
      .replace(/3\.4\.(23|0)\b/g, '3.4.x')
      .replace(/"dbSize":\d+/g, '"dbSize":N')
      .replace(/"dbSizeInUse":\d+/g, '"dbSizeInUse":N')
      .replace(/"raftIndex":\d+/g, '"raftIndex":N')
      .replace(/"raftAppliedIndex":\d+/g, '"raftAppliedIndex":N')
      .replace(/"hash":\d+/g, '"hash":H')
      // endpoint status simple/table rows: version, db size, leader, learner, term, index, applied, errors
      .replace(/(\b[0-9a-f]{16}, 3\.4\.x, )[0-9.]+ [kMG]?B(, \w+, \w+, \d+, )\d+, \d+/g, '$1SIZE$2I, I')
      .replace(/(\|\s+3\.4\.x\s+\|)\s+[0-9.]+ [kMG]?B\s+(\|.*?\|.*?\|.*?\|)\s+\d+\s+\|\s+\d+\s+\|/g, '$1 SIZE $2 I | I |')
      .replace(/[-+]+\n/g, '---\n')
      .replace(/ +/g, ' ')
  );
}

describe('real etcdctl: tsetcd answers exactly as real etcd', { timeout: 300_000 }, () => {
  const results: Record<ServerKind, Outcome[]> = { etcd: [], tsetcd: [] };

  before(async () => {
    const clientPort = await freePort();
    const peerPort = await freePort();
    for (const kind of ['etcd', 'tsetcd'] as const) {
      let srv: ServerHandle | undefined;
      try {
        srv = await startServer({ kind, clientPort, peerPort });
        for (const step of STEPS) results[kind].push(runEtcdctl(srv.endpoint, step));
      } finally {
        await srv?.stop();
      }
    }
  });
  after(() => undefined);

  STEPS.forEach((step, i) => {
    test(`etcdctl ${step.args.join(' ')}${step.stdin ? ' <<stdin' : ''}`, () => {
      const e = results.etcd[i]!;
      const t = results.tsetcd[i]!;
      assert.ok(e, 'etcd ran');
      assert.equal(t.status, e.status, `exit code\netcd stderr: ${e.stderr}\ntsetcd stderr: ${t.stderr}`);
      assert.equal(normalize(t.stdout), normalize(e.stdout), 'stdout');
      assert.equal(normalize(t.stderr), normalize(e.stderr), 'stderr');
    });
  });
});
