// Histories of client operations for the linearizability checker, and a recorder the tests use
// while driving a real cluster.
//
// Every operation has an invocation time `call` and a response time `ret` (milliseconds on one
// monotonic clock). An operation whose outcome is indeterminate — it timed out, its connection
// was lost, the server was unavailable after it may have been sent — may or may not have taken
// effect at any point after its call: it is recorded with ret = Infinity and an unknown output
// (Knossos' :info). Operations that failed definitely (the server refused them before doing
// anything) are not part of the history at all.
import { performance } from 'node:perf_hooks';
import type { Input, Output } from './model.js';

export interface Operation {
  id: number;
  /** Which client (process) issued it; informational. */
  client: number;
  key: string;
  input: Input;
  call: number;
  /** Infinity when indeterminate. */
  ret: number;
  /** undefined when indeterminate (or when the operation has no output, put). */
  output: Output;
}

export type History = Operation[];

export function isIndeterminate(op: Operation): boolean {
  return op.ret === Infinity;
}

export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface PendingOp {
  /** The operation completed with this output. */
  ok(output?: Output): void;
  /** It definitely did not take effect: dropped from the history. */
  fail(): void;
  /** It may or may not have taken effect. */
  info(): void;
}

/** Records operations as they are invoked and complete. */
export class HistoryRecorder {
  private readonly ops: Operation[] = [];
  private nextId = 0;
  readonly counts = { invoked: 0, ok: 0, failed: 0, indeterminate: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  invoke(client: number, key: string, input: Input): PendingOp {
    const call = this.now();
    const id = this.nextId++;
    this.counts.invoked++;
    let done = false;
    const finish = (): boolean => {
      if (done) throw new Error(`operation ${id} completed twice`);
      done = true;
      return true;
    };
    return {
      ok: (output?: Output) => {
        finish();
        this.counts.ok++;
        // An indeterminate get tells nothing; a completed one always has an output.
        this.ops.push({ id, client, key, input, call, ret: this.now(), output });
      },
      fail: () => {
        finish();
        this.counts.failed++;
      },
      info: () => {
        finish();
        this.counts.indeterminate++;
        // A read that may not have happened constrains nothing.
        if (input.f !== 'get') this.ops.push({ id, client, key, input, call, ret: Infinity, output: undefined });
      },
    };
  }

  history(): History {
    return this.ops.slice().sort((a, b) => a.call - b.call);
  }
}
