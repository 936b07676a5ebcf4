// Seeded random schedules of candidates in one election: campaign (fresh lease each), abort a
// waiting candidate, proclaim, resign, revoke a leader's or a candidate's lease — with an Observe
// running throughout. Checked: never two leaders at once, leaders win in create-revision order,
// Leader() agrees with the model whenever things are quiet, Observe reports only posted values,
// none twice, each leader's in its posting order, leaders in campaign order, headers never going
// back — and nothing is left at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  CampaignRequestSchema,
  LeaderRequestSchema,
  ProclaimRequestSchema,
  ResignRequestSchema,
  type LeaderKey,
} from '../../src/gen/v3electionpb/v3election_pb.js';
import { campaign, leader, observe, proclaim, resign } from '../../src/concurrency/index.js';
import { b, eventually, grant, keysUnder, revoke, startEnv, str, within, type Env } from './helpers.js';
import { mulberry32 as prng } from '../helpers/prng.js';


type State = 'waiting' | 'leading' | 'gone';

interface Candidate {
  id: number;
  lease: bigint;
  ac: AbortController;
  state: State;
  leader?: LeaderKey;
  done: Promise<void>;
}

describe('Election under random schedules', () => {
  let env: Env;
  before(async () => (env = await startEnv()));
  after(async () => env.stop());

  for (const seed of [3, 11, 99]) {
    test(`seed ${seed}`, { timeout: 60_000 }, async () => {
      const s = env.member.server;
      const rnd = prng(seed);
      const name = `q${seed}`;
      const all: Candidate[] = [];
      const wonRevs: bigint[] = [];
      const winners: number[] = [];
      const violations: string[] = [];
      // Every value ever posted, in order: values are unique, so an observed value names its poster.
      const posted: string[] = [];
      const observed: Array<{ value: string; rev: bigint }> = [];
      const ac = new AbortController();
      const observing = observe(s, b(name), ac.signal, (r) => observed.push({ value: str(r.kv!.value), rev: r.header!.revision }));
      let serial = 0;
      const pick = (st: State): Candidate | undefined => {
        const c = all.filter((x) => x.state === st);
        return c.length === 0 ? undefined : c[Math.floor(rnd() * c.length)];
      };
      const start = async (): Promise<void> => {
        const lease = await grant(env.member);
        const c: Candidate = { id: all.length, lease, ac: new AbortController(), state: 'waiting', done: Promise.resolve() };
        all.push(c);
        const value = `c${c.id}-${serial++}`;
        posted.push(value);
        c.done = campaign(s, create(CampaignRequestSchema, { name: b(name), lease, value: b(value) }), c.ac.signal).then(
          async (r) => {
            if (c.state !== 'waiting') {
              // Given up after the election was already won but before this callback ran: the
              // win stands, as with etcd, so resign it.
              await resign(s, create(ResignRequestSchema, { leader: r.leader! }));
              return;
            }
            const others = all.filter((x) => x !== c && x.state === 'leading');
            if (others.length > 0) violations.push(`candidate ${c.id} won while ${others.map((x) => x.id).join(',')} led`);
            c.state = 'leading';
            c.leader = r.leader!;
            wonRevs.push(r.leader!.rev);
            winners.push(c.id);
          },
          () => {
            if (c.state === 'waiting') c.state = 'gone';
          },
        );
      };
      const step = async (): Promise<void> => {
        const r = rnd();
        if (r < 0.35) return start();
        if (r < 0.45) {
          const w = pick('waiting');
          if (w) {
            w.state = 'gone';
            w.ac.abort();
          }
          return;
        }
        if (r < 0.55) {
          const w = pick('waiting');
          if (w) {
            w.state = 'gone';
            await revoke(env.member, w.lease);
          }
          return;
        }
        const l = pick('leading');
        if (!l) return;
        if (r < 0.75) {
          const value = `c${l.id}-${serial++}`;
          posted.push(value);
          await proclaim(s, create(ProclaimRequestSchema, { leader: l.leader!, value: b(value) }));
        } else if (r < 0.9) {
          l.state = 'gone';
          await resign(s, create(ResignRequestSchema, { leader: l.leader! }));
        } else {
          l.state = 'gone';
          await revoke(env.member, l.lease);
        }
      };

      for (let i = 0; i < 40; i++) {
        await step();
        if (rnd() < 0.5) await new Promise((res) => setTimeout(res, Math.floor(rnd() * 15)));
        if (rnd() < 0.2) {
          // Quiet for a moment: Leader() must name the model's leader (if any has won).
          await new Promise((res) => setTimeout(res, 30));
          const lead = all.find((x) => x.state === 'leading');
          if (lead !== undefined) {
            const kv = (await leader(s, create(LeaderRequestSchema, { name: b(name) }))).kv!;
            if (str(kv.key) !== str(lead.leader!.key)) violations.push(`Leader() is ${str(kv.key)}, the model says ${str(lead.leader!.key)}`);
          }
        }
      }
      await within(
        (async () => {
          for (;;) {
            const l = pick('leading');
            if (l) {
              l.state = 'gone';
              await resign(s, create(ResignRequestSchema, { leader: l.leader! }));
            }
            if (!all.some((x) => x.state === 'waiting' || x.state === 'leading')) break;
            await new Promise((res) => setTimeout(res, 5));
          }
          await Promise.all(all.map((c) => c.done));
        })(),
        20_000,
        `seed ${seed}: every candidate to win or give up`,
      );
      ac.abort();
      await within(observing, 5000, 'observe to end');
      assert.deepEqual(violations, [], `seed ${seed}`);
      assert.ok(wonRevs.length > 2, `seed ${seed}: the schedule elected several leaders`);
      assert.deepEqual([...wonRevs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)), wonRevs, `seed ${seed}: leaders in create-revision order`);
      // Observe.
      const values = observed.map((o) => o.value);
      const owner = (v: string): number => Number(/^c(\d+)-/.exec(v)![1]);
      assert.equal(new Set(values).size, values.length, `seed ${seed}: no value observed twice`);
      assert.ok(values.every((v) => posted.includes(v)), `seed ${seed}: only posted values observed`);
      for (const c of all) {
        const at = values.filter((v) => owner(v) === c.id).map((v) => posted.indexOf(v));
        assert.deepEqual([...at].sort((x, y) => x - y), at, `seed ${seed}: candidate ${c.id}'s values in posting order`);
      }
      // Candidates put their keys in id order, and the leader is always the oldest key, so the
      // leaders Observe reports go up in id order. (A candidate that gave up may still have led
      // for a moment before its key went: the model cannot tell, the order still holds.)
      const leaders = values.map(owner).filter((id, i, a) => i === 0 || a[i - 1] !== id);
      assert.deepEqual([...leaders].sort((x, y) => x - y), leaders, `seed ${seed}: observed leaders ${leaders.join(',')} in campaign order`);
      assert.equal(new Set(leaders).size, leaders.length, `seed ${seed}: a leader never comes back`);
      assert.ok(leaders.length >= 2, `seed ${seed}: Observe saw leaders change`);
      for (let i = 1; i < observed.length; i++) assert.ok(observed[i]!.rev >= observed[i - 1]!.rev, `seed ${seed}: headers never go back`);
      await eventually(async () => (await keysUnder(env.member, `${name}/`)).length === 0, `seed ${seed}: no key left behind`);
    });
  }
});
