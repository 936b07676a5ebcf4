// A linearizability checker for single-key register histories (see model.ts), written for the
// cluster fault tests.
//
// The search is Wing & Gong's, with Lowe's memoization, as Porcupine and Knossos' "linear"
// checker do it: the history becomes a list of call and return events in time order; we walk it,
// and at each call event try to linearize that operation next (apply it to the model; if its
// output is consistent, remove its call and return from the list and start again from the
// front). Reaching a return event whose operation has not been linearized means the current
// choice is wrong: undo the last linearized operation and try the next candidate. A
// (set-of-linearized-ops, model state) pair seen before is never explored twice.
//
// Histories are split per key first (P-compositionality: a history is linearizable iff each
// key's sub-history is), so each search is small.
//
// Indeterminate operations (ret = Infinity, output unknown) may be linearized anywhere after
// their call, or never: linearizing them after every completed operation is the same as never,
// so the search succeeds as soon as every completed operation is linearized. Two dominance rules
// (see dominated()) keep pending indeterminate writes from multiplying the search.
//
// The search is bounded (steps and wall time). Running out gives result 'unknown', which callers
// must treat as a failure, never as a pass.
import type { History, Operation } from './history.js';
import { describeInput, describeOutput, INITIAL, step, type Value } from './model.js';

export interface CheckOptions {
  /** Wall-clock budget for the whole check; default 60 s. */
  timeoutMs?: number;
  /** Search steps allowed over all keys; default 50 million. */
  maxSteps?: number;
}

export interface KeyStats {
  key: string;
  ops: number;
  indeterminate: number;
  steps: number;
}

export type CheckResult =
  | { result: 'ok'; keys: KeyStats[]; steps: number; elapsedMs: number }
  | { result: 'illegal'; key: string; explanation: string; keys: KeyStats[]; steps: number; elapsedMs: number }
  | { result: 'unknown'; key: string; explanation: string; keys: KeyStats[]; steps: number; elapsedMs: number };

interface Entry {
  isCall: boolean;
  op: Operation;
  /** Dense index of the op within its key's sub-history (bit in the linearized set). */
  idx: number;
  time: number;
  /** A call's return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

export function describeOp(op: Operation): string {
  const ret = op.ret === Infinity ? '∞ (indeterminate)' : op.ret.toFixed(3);
  const out = op.ret !== Infinity && op.output === undefined ? 'ok' : describeOutput(op.output);
  return `#${op.id} client ${op.client} ${op.key} ${describeInput(op.input)} → ${out} [${op.call.toFixed(3)} .. ${ret}]`;
}

function stateKey(s: Value): string {
  return s === null ? '\u0001' : `s${s}`;
}

type KeyResult =
  | { result: 'ok'; steps: number }
  | { result: 'illegal'; steps: number; explanation: string }
  | { result: 'unknown'; steps: number; explanation: string };

function checkKey(ops: Operation[], budget: { deadline: number; stepsLeft: number }): KeyResult {
  for (const op of ops) {
    if (!(op.ret >= op.call)) throw new Error(`operation ${op.id} returns before it is called`);
  }
  // Build the event list: sorted by time; at equal times calls come first, so operations that
  // touch the same instant count as concurrent (the permissive reading).
  const events: Entry[] = [];
  ops.forEach((op, idx) => {
    const call: Entry = { isCall: true, op, idx, time: op.call, match: null, prev: null, next: null };
    const ret: Entry = { isCall: false, op, idx, time: op.ret, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort((a, b) => (a.time - b.time) || (a.isCall === b.isCall ? a.op.id - b.op.id : a.isCall ? -1 : 1));
  const head: Entry = { isCall: false, op: ops[0]!, idx: -1, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (e: Entry): void => {
    e.prev!.next = e.next;
    e.next!.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next !== null) m.next.prev = m.prev;
  };
  const unlift = (e: Entry): void => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next !== null) m.next.prev = m;
    e.prev!.next = e;
    e.next!.prev = e;
  };

  const bits = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const bytes = Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength);
  const cache = new Set<string>();
  const calls: { entry: Entry; state: Value }[] = [];
  let remaining = ops.filter((o) => o.ret !== Infinity).length;
  let state: Value = INITIAL;
  let entry: Entry | null = head.next;
  let steps = 0;
  let best: { depth: number; stuck: Operation; prefix: { op: Operation; state: Value }[] } | null = null;

  while (head.next !== null && remaining > 0) {
    if (entry === null) throw new Error('checker invariant: walked past the end with operations left');
    steps++;
    if ((steps & 1023) === 0) {
      budget.stepsLeft -= 1024;
      if (budget.stepsLeft <= 0 || Date.now() > budget.deadline) {
        return {
          result: 'unknown', steps,
          explanation: `search budget exhausted after ${steps} steps (${budget.stepsLeft <= 0 ? 'step limit' : 'time limit'}); ` +
            `${calls.length} of ${ops.length} operations linearized at that point`,
        };
      }
    }
    if (entry.isCall) {
      const op = entry.op;
      const r = step(state, op.input, op.output);
      if (r.ok && !dominated(op, state, r.state, calls[calls.length - 1]?.entry.op)) {
        const w = entry.idx >>> 5;
        const bit = 1 << (entry.idx & 31);
        bits[w]! |= bit;
        const k = bytes.toString('latin1') + stateKey(r.state);
        if (!cache.has(k)) {
          cache.add(k);
          calls.push({ entry, state });
          state = r.state;
          if (op.ret !== Infinity) remaining--;
          lift(entry);
          entry = head.next;
          continue;
        }
        bits[w]! &= ~bit;
      }
      entry = entry.next;
    } else {
      // A return whose call is still in the list: that operation had to be linearized by now.
      if (best === null || calls.length > best.depth) {
        let s: Value = INITIAL;
        const prefix = calls.map((c) => {
          s = step(s, c.entry.op.input, c.entry.op.output).state;
          return { op: c.entry.op, state: s };
        });
        best = { depth: calls.length, stuck: entry.op, prefix };
      }
      const top = calls.pop();
      if (top === undefined) {
        return { result: 'illegal', steps, explanation: explain(ops, best!) };
      }
      entry = top.entry;
      state = top.state;
      bits[entry.idx >>> 5]! &= ~(1 << (entry.idx & 31));
      if (entry.op.ret !== Infinity) remaining++;
      unlift(entry);
      entry = entry.next;
    }
  }
  budget.stepsLeft -= steps & 1023;
  return { result: 'ok', steps };
}

/**
 * Choices that can never be needed, because another branch of the search covers them. Without
 * these, every pending indeterminate write multiplies the search (each subset of them could be
 * linearized before each read).
 *  - An indeterminate op that would not change the state: leaving it pending loses nothing.
 *  - A blind write (put, or a delete whose count is unknown) right after an indeterminate op: in
 *    any linearization where that happens, the indeterminate op's effect is overwritten unseen,
 *    so the same order with the indeterminate op moved to the end (= never) is also valid.
 */
function dominated(op: Operation, before: Value, after: Value, last: Operation | undefined): boolean {
  if (op.ret === Infinity && before === after) return true;
  const blind = op.input.f === 'put' || (op.input.f === 'delete' && op.output === undefined);
  return blind && last !== undefined && last.ret === Infinity;
}

function explain(ops: Operation[], best: { depth: number; stuck: Operation; prefix: { op: Operation; state: Value }[] }): string {
  const tail = best.prefix.slice(-8);
  const lines = [
    `not linearizable: the longest linearizable prefix has ${best.depth} of ${ops.length} operations;`,
    `no order lets this operation take effect before it returned:`,
    `  ${describeOp(best.stuck)}`,
    `last operations of that prefix (state after each):`,
    ...tail.map((p) => `  ${describeOp(p.op)}  ⇒ ${p.state === null ? 'nil' : p.state}`),
  ];
  return lines.join('\n');
}

/** Checks a whole history (any number of keys). */
export function check(history: History, opts: CheckOptions = {}): CheckResult {
  const t0 = Date.now();
  const budget = { deadline: t0 + (opts.timeoutMs ?? 60_000), stepsLeft: opts.maxSteps ?? 50_000_000 };
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    let l = byKey.get(op.key);
    if (l === undefined) byKey.set(op.key, (l = []));
    l.push(op);
  }
  const keys: KeyStats[] = [];
  let steps = 0;
  for (const [key, ops] of [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const r = checkKey(ops, budget);
    steps += r.steps;
    keys.push({ key, ops: ops.length, indeterminate: ops.filter((o) => o.ret === Infinity).length, steps: r.steps });
    if (r.result !== 'ok') {
      return { result: r.result, key, explanation: `key ${key}: ${r.explanation}`, keys, steps, elapsedMs: Date.now() - t0 };
    }
  }
  return { result: 'ok', keys, steps, elapsedMs: Date.now() - t0 };
}
