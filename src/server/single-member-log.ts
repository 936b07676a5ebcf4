// Consensus for a one-member cluster: an entry is committed as soon as it is durable in our own WAL.
// Proposals made during one event-loop turn (and during an in-flight fsync) are batched into one
// WAL write + ONE fdatasync, then applied together (group commit). The multi-member Raft driver
// replaces this class behind the same Consensus interface.
import { Wal } from '../wal/wal.js';
import type { WalEntry, WalState } from '../wal/types.js';
import type { CommittedEntry, Consensus, ConsensusHandlers, ConsensusStatus } from './consensus.js';

const ENTRY_NORMAL = 0;

export interface SingleMemberLogOptions {
  /** The WAL, opened (with what it held) or freshly created (state null) by the caller. */
  opened: { wal: Wal; state: WalState | null };
  memberId: bigint;
  /** Index already applied to the backend (its consistent_index): replay starts after it. */
  appliedIndex: number;
}

interface Pending {
  data: Uint8Array;
  local: unknown;
}

export class SingleMemberLog implements Consensus {
  private wal: Wal | null = null;
  private term = 0;
  private lastIndex = 0;
  private appliedIndex: number;
  private pending: Pending[] = [];
  private cutScheduled = false;
  private inflight = 0;
  private durableIndex = 0;
  private handlers: ConsensusHandlers | null = null;
  private stopped = false;
  private failure: Error | null = null;

  constructor(private readonly opts: SingleMemberLogOptions) {
    this.appliedIndex = opts.appliedIndex;
  }

  async start(handlers: ConsensusHandlers): Promise<void> {
    this.handlers = handlers;
    const { wal, state } = this.opts.opened;
    this.wal = wal;
    let replay: WalEntry[] = [];
    if (state) {
      this.term = state.hardState?.term ?? 1;
      const entries = state.entries;
      this.lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : (state.snapshot?.index ?? 0);
      if (this.appliedIndex > this.lastIndex) {
        // The backend is ahead of the WAL only if the WAL lost fsynced data: refuse to guess.
        throw new Error(
          `the WAL ends at index ${this.lastIndex} but the backend applied index ${this.appliedIndex}: the WAL is missing entries`,
        );
      }
      replay = entries.filter((e) => e.index > this.appliedIndex);
    } else {
      this.term = 1;
    }
    // Each start is a new term, as a restarted etcd member wins a new election.
    this.term += 1;
    wal.save({ term: this.term, vote: this.opts.memberId, commit: this.lastIndex }, []);
    await wal.sync();
    this.durableIndex = this.lastIndex;
    // Replay what was durable but not yet in the backend (the crash window between fsync and apply).
    for (let i = 0; i < replay.length; i += 1000) {
      const batch = replay.slice(i, i + 1000).map((e) => ({ index: e.index, term: e.term, data: e.data }));
      handlers.apply(batch);
      this.appliedIndex = batch[batch.length - 1]!.index;
    }
  }

  propose(data: Uint8Array, local?: unknown): void {
    if (this.stopped) throw new Error('etcdserver: server stopped');
    if (this.failure) throw this.failure;
    this.pending.push({ data, local });
    if (!this.cutScheduled) {
      this.cutScheduled = true;
      setImmediate(() => this.cut());
    }
  }

  status(): ConsensusStatus {
    return {
      term: this.term,
      leader: this.opts.memberId,
      commitIndex: this.durableIndex,
      appliedIndex: this.appliedIndex,
      isLearner: false,
    };
  }

  /**
   * Hands this turn's proposals to the WAL and applies them once durable. Batches are cut every
   * event-loop turn without waiting for the previous fsync: the WAL chains and coalesces the
   * fsyncs (one in flight, the next one gathering), and its sync promises resolve in order, so
   * batches are applied in log order while the disk is already flushing the next ones. Applying
   * while the next batch is being written keeps the disk and the CPU busy at the same time.
   */
  private cut(): void {
    this.cutScheduled = false;
    const wal = this.wal;
    const handlers = this.handlers;
    if (this.pending.length === 0 || !wal || !handlers) return;
    const batch = this.pending;
    this.pending = [];
    const entries: CommittedEntry[] = new Array(batch.length);
    const walEntries: WalEntry[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const index = ++this.lastIndex;
      const p = batch[i]!;
      entries[i] = { index, term: this.term, data: p.data, local: p.local };
      walEntries[i] = { index, term: this.term, type: ENTRY_NORMAL, data: p.data };
    }
    const last = this.lastIndex;
    let durable: Promise<void>;
    try {
      wal.save({ term: this.term, vote: this.opts.memberId, commit: last }, walEntries);
      durable = wal.sync();
    } catch (e) {
      durable = Promise.reject(e);
    }
    this.inflight++;
    durable
      .then(
        () => {
          this.durableIndex = last;
          handlers.apply(entries);
          this.appliedIndex = last;
        },
        (e: unknown) => {
          // A failed write/fsync leaves the log in an unknown state: stop accepting writes (etcd
          // panics here); the batch's proposers get the error, nothing was acknowledged.
          this.failure ??= e instanceof Error ? e : new Error(String(e));
          handlers.fail(entries, this.failure);
        },
      )
      .finally(() => {
        this.inflight--;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Let in-flight batches finish so their proposers get their answers.
    for (let i = 0; i < 1000 && this.inflight > 0; i++) await new Promise((r) => setTimeout(r, 2));
    await this.wal?.close();
    this.wal = null;
  }
}
