// Randomized checks of the checker:
//  - histories generated from a sequential execution, each operation's interval stretched around
//    its linearization point by a random concurrency window (some made indeterminate, some of
//    those never taking effect) must pass;
//  - the same histories with one injected anomaly that is provably non-linearizable must fail;
//  - on small histories, the checker agrees with a brute-force search over all orders.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check } from './checker.js';
import type { History, Operation } from './history.js';
import { INITIAL, step, type Input, type Value } from './model.js';
import { mulberry32 } from '../helpers/prng.js';


interface GenOptions {
  ops: number;
  keys: number;
  /** Max distance of call/return from the linearization point. */
  window: number;
  /** Probability a write is indeterminate. */
  pInfo: number;
}

function generate(rng: () => number, o: GenOptions): History {
  const state = new Map<string, Value>();
  const written = new Map<string, string[]>();
  const ops: Operation[] = [];
  let t = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;
  for (let i = 0; i < o.ops; i++) {
    t += 1 + rng() * 2;
    const key = `k${Math.floor(rng() * o.keys)}`;
    const cur = state.get(key) ?? INITIAL;
    const w = written.get(key) ?? [];
    const r = rng();
    let input: Input;
    if (r < 0.3) input = { f: 'put', value: `v${i}` };
    else if (r < 0.6) input = { f: 'get' };
    else if (r < 0.9) {
      const expected = cur !== null && rng() < 0.6 ? cur : w.length > 0 ? pick(w) : `v${i}-none`;
      input = { f: 'cas', expected, value: `c${i}` };
    } else input = { f: 'delete' };
    const call = t - rng() * o.window;
    const indeterminate = input.f !== 'get' && rng() < o.pInfo;
    const takesEffect = !indeterminate || rng() < 0.5;
    const res = step(cur, input, undefined);
    const output = input.f === 'get' ? cur : input.f === 'cas' ? res.state !== cur || (cur !== null && cur === input.expected) : input.f === 'delete' ? (cur === null ? 0 : 1) : undefined;
    if (takesEffect) {
      state.set(key, res.state);
      if (input.f === 'put' || (input.f === 'cas' && output === true)) w.push(input.value);
      written.set(key, w);
    }
    ops.push({
      id: i, client: i % 7, key, input, call,
      ret: indeterminate ? Infinity : t + rng() * o.window,
      output: indeterminate ? undefined : output,
    });
  }
  return ops;
}

const isDefiniteWrite = (op: Operation): boolean =>
  op.ret !== Infinity && (op.input.f === 'put' || op.input.f === 'delete' || (op.input.f === 'cas' && op.output === true));
const writtenValue = (op: Operation): string | undefined =>
  op.input.f === 'put' ? op.input.value : op.input.f === 'cas' && op.output === true ? op.input.value : undefined;

type Anomaly = 'never-written' | 'stale-read' | 'stale-cas' | 'lost-write';

/**
 * Injects an anomaly that makes the history non-linearizable whatever the concurrency; returns
 * false when this history offers no place for it. All written values are unique, so a value v
 * written by P can only be observed between P and the next write that follows P in real time.
 */
function inject(h: History, kind: Anomaly, rng: () => number): boolean {
  const shuffled = h.map((_, i) => i).sort(() => rng() - 0.5);
  if (kind === 'never-written') {
    const i = shuffled.find((j) => h[j]!.input.f === 'get');
    if (i === undefined) return false;
    h[i]!.output = 'never-written';
    return true;
  }
  if (kind === 'lost-write') {
    // A definitely applied write, no delete that could come after it, and a final read of nil.
    for (const j of shuffled) {
      const p = h[j]!;
      if (writtenValue(p) === undefined || p.ret === Infinity) continue;
      if (h.some((d) => d.key === p.key && d.input.f === 'delete' && !(d.ret < p.call))) continue;
      const end = Math.max(...h.filter((x) => x.ret !== Infinity).map((x) => x.ret));
      h.push({ id: h.length, client: 99, key: p.key, input: { f: 'get' }, call: end + 1, ret: end + 2, output: null });
      return true;
    }
    return false;
  }
  // stale read / stale CAS: P writes v, a definite write W follows P, and the victim G follows W.
  for (const gi of shuffled) {
    const g = h[gi]!;
    if (g.ret === Infinity) continue;
    if (kind === 'stale-read' ? g.input.f !== 'get' : g.input.f !== 'cas') continue;
    for (const p of h) {
      const v = writtenValue(p);
      if (p.key !== g.key || v === undefined || p.ret === Infinity || p === g) continue;
      const between = h.some((w) => w !== p && w !== g && w.key === g.key && isDefiniteWrite(w) && p.ret < w.call && w.ret < g.call);
      if (!between) continue;
      if (kind === 'stale-read') g.output = v;
      else {
        g.input = { f: 'cas', expected: v, value: (g.input as { value: string }).value };
        g.output = true;
      }
      return true;
    }
  }
  return false;
}

/** Reference: try every order allowed by real time (exponential; small histories only). */
function bruteForce(h: History): boolean {
  const byKey = new Map<string, Operation[]>();
  for (const op of h) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  const rec = (left: Operation[], s: Value): boolean => {
    if (left.every((o) => o.ret === Infinity)) return true;
    for (const a of left) {
      if (left.some((b) => b !== a && b.ret < a.call)) continue;
      const r = step(s, a.input, a.output);
      if (r.ok && rec(left.filter((x) => x !== a), r.state)) return true;
    }
    return false;
  };
  return [...byKey.values()].every((ops) => rec(ops, INITIAL));
}

describe('lincheck: randomized', () => {
  test('histories from sequential executions with concurrency windows pass', () => {
    const rng = mulberry32(1);
    let ops = 0;
    for (let round = 0; round < 60; round++) {
      const h = generate(rng, { ops: 50 + Math.floor(rng() * 400), keys: 1 + Math.floor(rng() * 5), window: rng() * 12, pInfo: rng() * 0.15 });
      ops += h.length;
      const r = check(h, { timeoutMs: 20_000 });
      assert.equal(r.result, 'ok', `round ${round}: ${r.result !== 'ok' ? r.explanation : ''}`);
    }
    assert.ok(ops > 5000);
  });

  for (const kind of ['never-written', 'stale-read', 'stale-cas', 'lost-write'] as const) {
    test(`an injected ${kind} fails`, () => {
      const rng = mulberry32(kind.length * 7919);
      let injected = 0;
      for (let round = 0; round < 200 && injected < 25; round++) {
        const h = generate(rng, { ops: 30 + Math.floor(rng() * 200), keys: 1 + Math.floor(rng() * 3), window: rng() * 8, pInfo: rng() * 0.1 });
        if (!inject(h, kind, rng)) continue;
        injected++;
        const r = check(h, { timeoutMs: 20_000 });
        assert.equal(r.result, 'illegal', `round ${round}: expected illegal, got ${r.result}`);
      }
      assert.ok(injected >= 25, `only ${injected} histories had room for a ${kind}`);
    });
  }

  test('agrees with a brute-force search on small histories (valid and perturbed)', () => {
    const rng = mulberry32(42);
    const seen = { ok: 0, illegal: 0 };
    for (let round = 0; round < 3000; round++) {
      const h = generate(rng, { ops: 2 + Math.floor(rng() * 6), keys: 1 + Math.floor(rng() * 2), window: rng() * 6, pInfo: 0.35 });
      if (rng() < 0.6) {
        // Perturb one operation: its output, its value, or its interval.
        const op = h[Math.floor(rng() * h.length)]!;
        const r = rng();
        if (op.input.f === 'get' && op.ret !== Infinity) {
          const vals = h.map(writtenValue).filter((v): v is string => v !== undefined);
          op.output = r < 0.3 || vals.length === 0 ? null : vals[Math.floor(rng() * vals.length)]!;
        } else if (op.input.f === 'cas' && op.ret !== Infinity && r < 0.5) op.output = !(op.output as boolean);
        else {
          const shift = (rng() - 0.5) * 10;
          op.call += shift;
          if (op.ret !== Infinity) op.ret = Math.max(op.call, op.ret + shift + (rng() - 0.5) * 4);
        }
      }
      const expected = bruteForce(h) ? 'ok' : 'illegal';
      const got = check(h).result;
      assert.equal(got, expected, `round ${round}: ${JSON.stringify(h)}`);
      seen[expected]++;
    }
    assert.ok(seen.ok > 500 && seen.illegal > 200, JSON.stringify(seen));
  });
});
