// The sequential specification the checker searches against: one etcd key as a register whose
// value is a string or absent (null). Histories are partitioned per key (every operation touches
// exactly one key), so the model only ever sees one key's state.
//
// Operations and what their responses say:
//   put(v)          → nothing (an acknowledged put always takes effect)
//   get()           → the value read (null: key absent); only linearizable reads belong here
//   cas(old → new)  → succeeded: true / false. etcd's Compare(VALUE) on a missing key fails, so
//                     success needs the key present with exactly `old`.
//   delete()        → optionally the number of keys deleted (0 or 1)
// An output of `undefined` means "unknown": the operation's outcome is indeterminate (it timed
// out or its connection was lost), so any response is accepted, but it still changes the state
// exactly as the operation would have (a CAS's effect is decided by the state, not the output).

export type Value = string | null;

export type Input =
  | { f: 'put'; value: string }
  | { f: 'get' }
  | { f: 'cas'; expected: string; value: string }
  | { f: 'delete' };

/** get → Value; cas → boolean; delete → number (deleted count); put → undefined. */
export type Output = Value | boolean | number | undefined;

export interface StepResult {
  ok: boolean;
  state: Value;
}

export const INITIAL: Value = null;

export function step(state: Value, input: Input, output: Output): StepResult {
  switch (input.f) {
    case 'put':
      return { ok: true, state: input.value };
    case 'get':
      return { ok: output === undefined || output === state, state };
    case 'cas': {
      const succeeds = state !== null && state === input.expected;
      if (output !== undefined && output !== succeeds) return { ok: false, state };
      return { ok: true, state: succeeds ? input.value : state };
    }
    case 'delete': {
      const deleted = state === null ? 0 : 1;
      if (output !== undefined && output !== deleted) return { ok: false, state };
      return { ok: true, state: null };
    }
  }
}

export function describeInput(i: Input): string {
  switch (i.f) {
    case 'put': return `put(${i.value})`;
    case 'get': return 'get()';
    case 'cas': return `cas(${i.expected}→${i.value})`;
    case 'delete': return 'delete()';
  }
}

export function describeOutput(o: Output): string {
  if (o === undefined) return '?';
  if (o === null) return 'nil';
  return String(o);
}
