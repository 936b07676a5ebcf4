// member add/remove/update/promote, move-leader, and endpoint/defrag --cluster on a 3-member
// cluster: the real etcdctl 3.4 and tsetcdctl run the same steps and must print the same bytes
// (stdout, stderr, exit code).
//
// The cluster is tsetcd by default (bin/tsetcd, etcd's flags): the seed's expansion procedure —
// member add, start the new member with --initial-cluster-state existing, promote, remove —
// runs end to end against it with the real etcdctl. TSETCD_CLUSTER_TEST_SERVER=etcd runs the
// same test against real etcd 3.4 (how its expectations were validated).
//
// Steps that leave the cluster as it was (reads, errors, a no-op update, moving leadership to
// the leader) run with both tools back to back. Steps that change membership run as a whole
// flow once per tool, on the same ports, so everything but the new member's random ID and the
// raft term is equal; those two are masked, and lists whose order follows the IDs are compared
// sorted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { normalizeStderr, normalizeStdout, run, type RunResult, type Tool } from '../ctl/harness.js';
import { freePort } from '../helpers/ports.js';

type Kind = 'etcd' | 'tsetcd';

function kindFromEnv(): Kind {
  const k = process.env['TSETCD_CLUSTER_TEST_SERVER'];
  if (k === undefined || k === '' || k === 'tsetcd') return 'tsetcd';
  if (k === 'etcd') return 'etcd';
  throw new Error(`TSETCD_CLUSTER_TEST_SERVER must be etcd or tsetcd, not ${k}`);
}

const KIND = kindFromEnv();
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SERVER = KIND === 'etcd' ? '/usr/bin/etcd' : join(REPO, 'bin', 'tsetcd');
const TOKEN = 'ctl-member-test';

// ---- a small local cluster starter: real processes, 127.0.0.1, free ports, stop by PID ----

interface Proc {
  name: string;
  clientPort: number;
  peerPort: number;
  endpoint: string;
  peerUrl: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

function startMember(name: string, clientPort: number, peerPort: number, initialCluster: string, state: 'new' | 'existing'): Proc {
  const dataDir = mkdtempSync(join(tmpdir(), `ctl-member-${KIND}-`));
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child = spawn(SERVER, [
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', TOKEN,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${SERVER}`);
  return {
    name, clientPort, peerPort, endpoint: `127.0.0.1:${clientPort}`, peerUrl, child,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGTERM');
        if (!(await waitExit(child, 10_000))) {
          process.kill(pid, 'SIGKILL');
          await waitExit(child, 5_000);
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails after `ms` with the last reason. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms} ms (${last})`);
}

function client(endpoints: string[]): EtcdClient {
  return new EtcdClient({ endpoints, dialTimeoutMs: 1000, commandTimeoutMs: 3000 });
}

async function withClient<T>(endpoints: string[], f: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = client(endpoints);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

/** Every given member reports the same leader, and the members are all started. */
async function clusterReady(procs: Proc[], size: number): Promise<boolean> {
  return withClient(procs.map((p) => p.endpoint), async (c) => {
    const leaders = new Set<bigint>();
    for (const p of procs) leaders.add((await c.status(p.endpoint)).leader);
    const list = await c.memberList();
    return leaders.size === 1 && !leaders.has(0n) && list.members.length === size && list.members.every((m) => m.name !== '');
  });
}

async function leaderOf(procs: Proc[]): Promise<bigint> {
  return withClient(procs.map((p) => p.endpoint), async (c) => (await c.status(procs[0]!.endpoint)).leader);
}

async function memberIdOf(p: Proc): Promise<bigint> {
  return withClient([p.endpoint], async (c) => {
    const h = (await c.status(p.endpoint)).header;
    assert.ok(h !== undefined);
    return h.memberId;
  });
}

// ---- comparing the two tools ----

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
}

function outcome(r: RunResult): Outcome {
  return { stdout: normalizeStdout(r.stdout), stderr: normalizeStderr(r.stderr), code: r.code };
}

function assertSameOutcome(what: string, e: Outcome, t: Outcome, norm: (s: string) => string = (s) => s): void {
  assert.equal(t.code, e.code, `${what}: exit code\netcdctl stderr: ${e.stderr}\ntsetcdctl stderr: ${t.stderr}`);
  assert.equal(norm(t.stdout), norm(e.stdout), `${what}: stdout`);
  assert.equal(norm(t.stderr), norm(e.stderr), `${what}: stderr`);
}

const sortLines = (s: string): string => s.split('\n').sort().join('\n');

/** endpoint health: results come in the order they arrive (as in etcdctl), with timings. */
function healthNorm(s: string): string {
  const t = s.trim();
  if (t.startsWith('[')) {
    const list = JSON.parse(t) as { endpoint: string; took: string }[];
    return JSON.stringify(list.map((h) => ({ ...h, took: 'T' })).sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1)));
  }
  // Tables: column widths follow the timings.
  return sortLines(s.replace(/\|\s+[0-9.]+(ns|µs|ms|s)\s+\|/g, '| T |').replace(/-+/g, '-').replace(/ +/g, ' '));
}

/**
 * For flows that add a member: its random ID (hex and decimal) becomes NEW, raft terms go,
 * and what is ordered by member ID is sorted: lines, ETCD_INITIAL_CLUSTER's entries, JSON
 * arrays. Table borders and padding depend on the ID's width, so they are collapsed.
 */
function flowNorm(ids: bigint[]): (s: string) => string {
  return (s) => {
    let out = s;
    for (const id of ids) {
      out = out.replace(new RegExp(`\\b${id.toString(16)}\\b`, 'g'), 'NEW').replace(new RegExp(`\\b${id.toString(10)}\\b`, 'g'), '"NEW"');
    }
    out = out.replace(/"raft_term":\d+/g, '"raft_term":"T"').replace(/Member +NEW /g, 'Member NEW ');
    out = out.replace(/^ETCD_INITIAL_CLUSTER="(.*)"$/m, (_, v: string) => `ETCD_INITIAL_CLUSTER="${v.split(',').sort().join(',')}"`);
    out = out.split('\n').map((line) => (line.startsWith('{') || line.startsWith('[{') ? canonJson(line) : line)).join('\n');
    if (/^[+|]/m.test(out)) {
      // endpoint status rows: db size, raft term and indexes move on between the two runs.
      out = out.replace(/-+/g, '-').replace(/ +/g, ' ')
        .replace(/\| [0-9.]+ [kMG]?B \| (true|false) \| (true|false) \| \d+ \| \d+ \| \d+ \|/g, '| SIZE | $1 | $2 | N | N | N |');
    }
    return sortLines(out);
  };
}

/** JSON with its arrays sorted, 64-bit numbers kept exact (as strings). */
function canonJson(line: string): string {
  let v: unknown;
  try {
    v = JSON.parse(line.replace(/:(\d{16,})/g, ':"$1"'));
  } catch {
    return line;
  }
  const canon = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canon).map((e) => JSON.stringify(e)).sort();
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, canon(e)]));
    return x;
  };
  return JSON.stringify(canon(v));
}

const split = (s: string): string[] => s.split(' ').filter((w) => w !== '');

describe(`etcdctl and tsetcdctl on a 3-member ${KIND} cluster: membership, move-leader, --cluster`, { timeout: 600_000 }, () => {
  const procs: Proc[] = [];
  const extra: Proc[] = [];
  let eps: string[] = [];
  let ids: bigint[] = [];

  before(async () => {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freePort());
    const names = ['m1', 'm2', 'm3'];
    const ic = names.map((n, i) => `${n}=http://127.0.0.1:${ports[2 * i + 1]!}`).join(',');
    try {
      names.forEach((n, i) => procs.push(startMember(n, ports[2 * i]!, ports[2 * i + 1]!, ic, 'new')));
      await waitFor('cluster ready', 30_000, () => clusterReady(procs, 3));
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${procs.map((p) => `--- ${p.name} ---\n${p.log()}`).join('\n')}`);
    }
    eps = procs.map((p) => p.endpoint);
    ids = [];
    for (const p of procs) ids.push(await memberIdOf(p));
  });

  after(async () => {
    for (const p of [...extra, ...procs]) await p.stop();
  });

  async function both(args: string[], timeoutMs?: number): Promise<{ e: Outcome; t: Outcome }> {
    const opts = timeoutMs === undefined ? {} : { timeoutMs };
    const e = outcome(await run('etcdctl', args, opts));
    const t = outcome(await run('tsetcdctl', args, opts));
    return { e, t };
  }

  async function same(steps: string[][], norm?: (s: string) => string): Promise<void> {
    for (const args of steps) {
      const { e, t } = await both(args);
      assertSameOutcome(args.join(' '), e, t, norm);
    }
  }

  async function moveLeaderTo(id: bigint): Promise<void> {
    if ((await leaderOf(procs)) === id) return;
    const r = await run('etcdctl', [`--endpoints=${eps.join(',')}`, 'move-leader', id.toString(16)]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('leader moved', 10_000, async () => (await leaderOf(procs)) === id);
  }

  test('argument and peer URL errors', async () => {
    const ep = `--endpoints=${eps[0]!}`;
    const steps = [
      'member add', 'member add a b http://x HTTPS://y', 'member add a', 'member add a --peer-urls=',
      'member add a --peer-urls=127.0.0.1:1', 'member add a --peer-urls=localhost:1', 'member add a --peer-urls=http://127.0.0.1',
      'member add a --peer-urls=http://127.0.0.1:1/x', 'member add a --peer-urls=ftp://h:2', 'member add a --peer-urls=http://a%20b:1',
      'member add a --peer-urls=http://[::1:1', 'member add a --peer-urls=http://127.0.0.1:1,', 'member add a --peer-urls=:1',
      'member add a --peer-urls=http://a:b:1', 'member add a --peer-urls=http://[::1]:1x', 'member add a --peer-urls=http://u@h:1%zz',
      'member add a --peer-urls=http:foo', 'member add a --peer-urls=http://h:1#f%', 'member add a --peer-urls=http://x:1 -w xml',
      'member remove', 'member remove zz', 'member remove 1 2', 'member remove 10000000000000000', 'member remove 10000000000000000z',
      'member remove 0x1', 'member remove -1', 'member update 1', 'member update x --peer-urls=http://h:1',
      'member update 1 --peer-urls=h:1', 'member promote', 'member promote g',
      'move-leader', 'move-leader x', 'move-leader 1 2', 'move-leader 10000000000000000',
    ];
    await same(steps.map((s) => [ep, ...split(s)]));
    // "a b" (a space inside a host) needs its own argument.
    await same([[ep, 'member', 'add', 'a', '--peer-urls=http://a b:1']]);
  });

  test('server errors', async () => {
    const ep = `--endpoints=${eps[0]!}`;
    const leader = await leaderOf(procs);
    const follower = procs.find((_, i) => ids[i] !== leader)!;
    await same([
      [ep, 'member', 'add', 'dup', `--peer-urls=${procs[1]!.peerUrl}`],
      [ep, 'member', 'remove', '1'],
      [ep, 'member', 'update', '1', '--peer-urls=http://127.0.0.1:1'],
      [ep, 'member', 'update', ids[0]!.toString(16), `--peer-urls=${procs[1]!.peerUrl}`],
      [ep, 'member', 'promote', ids[1]!.toString(16)],
      [ep, 'member', 'promote', '1'],
      [`--endpoints=${eps.join(',')}`, 'move-leader', '123'],
      // Only followers given: no endpoint is the leader.
      [`--endpoints=${follower.endpoint}`, 'move-leader', leader.toString(16)],
    ]);
  });

  test('member list, endpoint status/hashkv/health and defrag with --cluster, in every format', async () => {
    const ep = `--endpoints=${eps[1]!}`;
    const steps = [
      'member list', 'member list -w json', 'member list -w fields', 'member list -w table',
      'endpoint status --cluster', 'endpoint status --cluster -w json', 'endpoint status --cluster -w fields',
      'endpoint status --cluster -w table', 'endpoint status --cluster -w protobuf',
      'endpoint hashkv --cluster', 'endpoint hashkv --cluster -w json', 'endpoint hashkv --cluster -w fields',
      'endpoint hashkv --cluster -w table', 'endpoint hashkv --cluster --rev=1',
    ];
    await same(steps.map((s) => [ep, ...split(s)]));
    await same([
      [ep, 'endpoint', 'health', '--cluster'], [ep, 'endpoint', 'health', '--cluster', '-w', 'json'],
      [ep, 'endpoint', 'health', '--cluster', '-w', 'table'], [`--endpoints=${eps.join(',')}`, 'endpoint', 'health'],
    ], healthNorm);
    await same([[ep, 'defrag', '--cluster'], [`--endpoints=${eps.join(',')}`, 'defrag']]);
    // No member list from an unreachable endpoint: the client's transport texts differ, the outcome not.
    const errorLines = (s: string): string => s.split('\n').filter((l) => l.startsWith('Error:')).join('\n');
    await same([['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'defrag', '--cluster'], ['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'endpoint', 'status', '--cluster']], errorLines);
  });

  test('member update without a change and move-leader to the leader, in every format', async () => {
    const ep = `--endpoints=${eps[0]!}`;
    const steps: string[][] = [];
    for (const w of ['simple', 'json', 'fields', 'table', 'protobuf']) {
      steps.push([ep, 'member', 'update', ids[2]!.toString(16), `--peer-urls=${procs[2]!.peerUrl}`, '-w', w]);
    }
    await same(steps);
    const leader = await leaderOf(procs);
    const moves: string[][] = [];
    for (const w of ['simple', 'json', 'fields', 'table', 'protobuf']) {
      moves.push([`--endpoints=${eps.join(',')}`, 'move-leader', leader.toString(16), '-w', w]);
    }
    await same(moves);
  });

  test('move-leader to another member', async () => {
    const all = `--endpoints=${eps.join(',')}`;
    await moveLeaderTo(ids[0]!);
    // The same transfer from the same state with each tool.
    const out: Record<Tool, Outcome> = {} as Record<Tool, Outcome>;
    for (const tool of ['etcdctl', 'tsetcdctl'] as const) {
      await moveLeaderTo(ids[0]!);
      out[tool] = outcome(await run(tool, [all, 'move-leader', ids[1]!.toString(16)]));
      await waitFor('leader moved', 10_000, async () => (await leaderOf(procs)) === ids[1]);
    }
    assertSameOutcome('move-leader', out.etcdctl, out.tsetcdctl);
    assert.equal(out.tsetcdctl.stdout, `Leadership transferred from ${ids[0]!.toString(16)} to ${ids[1]!.toString(16)}\n`);
  });

  test('a learner is added, started, promoted, made leader and removed; voting members added, updated and removed', async () => {
    const [c4, p4, p5, p5b, p6] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const peer4 = `http://127.0.0.1:${p4}`;
    const results: Record<Tool, Outcome[]> = { etcdctl: [], tsetcdctl: [] };
    const stepArgs: string[][] = [];
    const newIds: bigint[] = [];
    for (const tool of ['etcdctl', 'tsetcdctl'] as const) {
      await moveLeaderTo(ids[0]!);
      const rec = results[tool];
      // The server may refuse a change briefly after another one (etcd wants every voter
      // connected for 5 s, a learner in sync, the transferee to know it votes); such a step is
      // repeated, and the compared call is the first one accepted.
      const settled = async (args: string[], ep: string[], ...transient: string[]): Promise<Outcome> => {
        for (let i = 0; i < 30; i++) {
          const o = outcome(await run(tool, [`--endpoints=${ep.join(',')}`, ...args]));
          if (o.code === 0 || !transient.some((t) => o.stderr.includes(t))) {
            rec.push(o);
            if (tool === 'etcdctl') stepArgs.push(args);
            return o;
          }
          await sleep(500);
        }
        throw new Error(`${tool} ${args.join(' ')}: still refused (${transient.join(', ')})`);
      };
      // One endpoint (m1) unless all are needed: headers name the member that answered.
      const step = (args: string[], ep: string[] = [eps[0]!]): Promise<Outcome> => settled(args, ep, 'etcdserver: unhealthy cluster');
      const add = await step(['member', 'add', 'm4', `--peer-urls=${peer4}`, '--learner']);
      assert.equal(add.code, 0, add.stderr);
      const m = /^Member +([0-9a-f]+) added to cluster/.exec(add.stdout);
      assert.ok(m !== null, add.stdout);
      const id4 = BigInt(`0x${m[1]!}`);
      newIds.push(id4);
      const hex4 = id4.toString(16);
      await step(['member', 'list']);
      await step(['member', 'list', '-w', 'table']);
      await step(['member', 'promote', hex4]);

      // Start it with the settings the add printed.
      const ic = /^ETCD_INITIAL_CLUSTER="(.*)"$/m.exec(add.stdout)?.[1];
      assert.ok(ic !== undefined, add.stdout);
      const m4 = startMember('m4', c4, p4, ic, 'existing');
      extra.push(m4);
      await waitFor('m4 started and caught up', 30_000, () => withClient([...eps, m4.endpoint], async (c) => {
        const list = await c.memberList();
        if (list.members.find((x) => x.ID === id4)?.name !== 'm4') return false;
        const lead = await c.status(eps[0]!);
        const learner = await c.status(m4.endpoint);
        return learner.raftAppliedIndex >= lead.raftIndex;
      }));
      const all = [...eps, m4.endpoint];
      await settled(['member', 'promote', hex4], [eps[0]!], 'in sync with leader');
      await step(['member', 'list', '-w', 'json']);
      await waitFor('m4 votes', 10_000, () => clusterReady([...procs, m4], 4));
      // m4 itself must have applied its promotion, or it ignores the leader's hand-over.
      await waitFor('m4 knows it votes', 10_000, () => withClient(all, async (c) => {
        const mine = await c.status(m4.endpoint);
        return !mine.isLearner && mine.raftAppliedIndex >= (await c.status(eps[0]!)).raftIndex;
      }));
      await step(['endpoint', 'health', '--cluster'], all);
      await step(['endpoint', 'hashkv', '--cluster', '-w', 'json']);
      await step(['endpoint', 'status', '--cluster', '-w', 'table']);
      const moved = await settled(['move-leader', hex4], all, 'leader transfer took too long', 'context deadline exceeded');
      assert.equal(moved.code, 0, `${tool} move-leader: ${moved.stdout}${moved.stderr}`);
      await waitFor('m4 leads', 10_000, async () => (await leaderOf([...procs, m4])) === id4);
      await step(['move-leader', ids[0]!.toString(16), '-w', 'json'], all);
      await waitFor('m1 leads', 10_000, async () => (await leaderOf(procs)) === ids[0]);
      await step(['member', 'remove', hex4, '-w', 'json']);
      await m4.stop();
      extra.splice(extra.indexOf(m4), 1);
      await step(['member', 'list', '-w', 'json']);

      // Voting members that never start: added and removed again, with other formats.
      const add5 = await step(['member', 'add', 'm5', `--peer-urls=http://127.0.0.1:${p5}`, '-w', 'json']);
      const id5 = /"member":\{"ID":(\d+)/.exec(add5.stdout)?.[1];
      assert.ok(id5 !== undefined, add5.stdout + add5.stderr);
      newIds.push(BigInt(id5));
      // (Not on the learner: etcd 3.4's update turns a learner into a voter in the membership
      // but not in raft.)
      await step(['member', 'update', BigInt(id5).toString(16), `--peer-urls=http://127.0.0.1:${p5b}`, '-w', 'json']);
      await step(['member', 'update', BigInt(id5).toString(16), `--peer-urls=http://127.0.0.1:${p5}`]);
      await step(['member', 'remove', BigInt(id5).toString(16)]);
      await step(['member', 'add', 'm6', `--peer-urls=http://127.0.0.1:${p6}`, '-w', 'table']);
      const id6 = await withClient(eps, async (c) => (await c.memberList()).members.find((x) => x.name === '')?.ID);
      assert.ok(id6 !== undefined, 'm6 was added');
      newIds.push(id6);
      await step(['member', 'remove', id6.toString(16), '-w', 'fields']);
      await step(['member', 'list']);
    }
    const norm = flowNorm(newIds);
    assert.equal(results.tsetcdctl.length, results.etcdctl.length);
    results.etcdctl.forEach((e, i) => {
      const args = stepArgs[i]!;
      const n = args.includes('health') ? (s: string): string => healthNorm(norm(s)) : norm;
      assertSameOutcome(`flow step ${i}: ${args.join(' ')}`, e, results.tsetcdctl[i]!, n);
    });
  });
});
