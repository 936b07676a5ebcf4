// The real etcdctl's lock and elect against a tsetcd member. etcdctl 3.4 runs etcd's recipes on the
// client side (clientv3/concurrency over KV, Watch and Lease), so these tests prove that our
// server-side Lock and Election share their key layout and ordering with etcd's own clients:
// an etcdctl holder blocks our Lock and vice versa, and `etcdctl elect -l` sees our leader.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CampaignRequestSchema, LeaderRequestSchema, ProclaimRequestSchema, ResignRequestSchema } from '../../src/gen/v3electionpb/v3election_pb.js';
import { LockRequestSchema, UnlockRequestSchema } from '../../src/gen/v3lockpb/v3lock_pb.js';
import { campaign, leader, lock, proclaim, resign, unlock } from '../../src/concurrency/index.js';
import { b, eventually, grant, isSettled, keysUnder, startEnv, str, within, type Env } from './helpers.js';

const ETCDCTL = '/usr/bin/etcdctl';

interface Ctl {
  child: ChildProcess;
  out(): string;
  /** Resolves once the output matches re (bounded). */
  waitFor(re: RegExp, what: string, ms?: number): Promise<void>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

function etcdctl(endpoint: string, args: string[]): Ctl {
  const child = spawn(ETCDCTL, ['--endpoints', endpoint, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCDCTL_API: '3' } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    waitFor: (re, what, ms = 10_000) => eventually(async () => re.test(out), `etcdctl ${what} (output so far: ${JSON.stringify(out)})`, ms),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

describe('real etcdctl lock/elect against our Lock and Election', { skip: !existsSync(ETCDCTL) && 'no etcdctl', timeout: 120_000 }, () => {
  let env: Env;
  let ep: string;
  const procs: Ctl[] = [];
  const run = (args: string[]): Ctl => {
    const c = etcdctl(ep, args);
    procs.push(c);
    return c;
  };
  before(async () => {
    env = await startEnv();
    ep = env.member.clientUrls[0]!.replace(/^http:\/\//, '');
  });
  after(async () => {
    for (const p of procs) await p.stop();
    await env.stop();
  });

  test('an etcdctl lock holder blocks our Lock until etcdctl unlocks on SIGINT', async () => {
    const s = env.member.server;
    const holder = run(['lock', 'L1']);
    await holder.waitFor(/^L1\/[0-9a-f]+$/m, 'to print the lock key');
    const theirKey = /^(L1\/[0-9a-f]+)$/m.exec(holder.out())![1]!;
    const [kv] = await keysUnder(env.member, 'L1/');
    assert.equal(str(kv!.key), theirKey, 'etcdctl used the same name/<lease hex> layout');
    const lease = await grant(env.member);
    const ours = lock(s, create(LockRequestSchema, { name: b('L1'), lease }));
    assert.equal(await isSettled(ours, 300), false, 'our Lock waits for etcdctl');
    assert.equal(await holder.stop(), 0);
    const r = await within(ours, 10_000, 'our Lock after etcdctl unlocked');
    assert.equal(str(r.key), `L1/${lease.toString(16)}`);
    await unlock(s, create(UnlockRequestSchema, { key: r.key }));
  });

  test('our Lock holder blocks `etcdctl lock -- cmd` until we Unlock', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const ours = await lock(s, create(LockRequestSchema, { name: b('L2'), lease }));
    const waiter = run(['lock', 'L2', '--', 'sh', '-c', 'echo "got:$ETCD_LOCK_KEY"']);
    await eventually(async () => (await keysUnder(env.member, 'L2/')).length === 2, 'etcdctl to queue');
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(waiter.out(), /got:/, 'etcdctl waits for our lock');
    await unlock(s, create(UnlockRequestSchema, { key: ours.key }));
    await waiter.waitFor(/got:L2\/[0-9a-f]+/, 'to run its command');
    assert.equal(await within(waiter.exited, 10_000, 'etcdctl to exit'), 0);
    assert.equal((await keysUnder(env.member, 'L2/')).length, 0, 'etcdctl unlocked after its command');
  });

  test('`etcdctl elect -l` observes our leader and its proclamations; an etcdctl candidate follows our resignation', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const ours = (await campaign(s, create(CampaignRequestSchema, { name: b('E1'), lease, value: b('ours') }))).leader!;
    const observer = run(['elect', '-l', 'E1']);
    await observer.waitFor(/^E1\/[0-9a-f]+\nours$/m, 'to observe our leader');
    await proclaim(s, create(ProclaimRequestSchema, { leader: ours, value: b('ours-2') }));
    await observer.waitFor(/^ours-2$/m, 'to observe our proclamation');
    const candidate = run(['elect', 'E1', 'theirs']);
    await eventually(async () => (await keysUnder(env.member, 'E1/')).length === 2, 'etcdctl to campaign');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(candidate.out(), '', 'the etcdctl candidate waits');
    await resign(s, create(ResignRequestSchema, { leader: ours }));
    await candidate.waitFor(/^E1\/[0-9a-f]+\ntheirs$/m, 'to be elected');
    await observer.waitFor(/^theirs$/m, 'to observe the new leader');
    const now = await leader(s, create(LeaderRequestSchema, { name: b('E1') }));
    assert.equal(str(now.kv!.value), 'theirs');
    // Our campaign now waits for etcdctl, which resigns on SIGINT.
    const again = campaign(s, create(CampaignRequestSchema, { name: b('E1'), lease, value: b('back') }));
    assert.equal(await isSettled(again, 300), false);
    assert.equal(await candidate.stop(), 0);
    const back = await within(again, 10_000, 'our campaign after etcdctl resigned');
    await observer.waitFor(/^back$/m, 'to observe us again');
    await resign(s, create(ResignRequestSchema, { leader: back.leader! }));
  });
});
