// One Watch gRPC stream (etcd's serverWatchStream), without the transport: the server feeds it
// each WatchRequest through handle() and gives it a send function. Every response — created,
// canceled, events, compaction, progress — goes through ONE ordered queue, so a progress
// notification never overtakes events it claims to cover and a created response always precedes
// its watch's events.
//
// Flow control: send() may return false (the transport's buffer is full); the stream then holds
// responses in its queue until the owner calls drain(). While the queue holds queueLimit events
// the stream reports itself not ready and the hub turns its watchers into victims, to be caught
// up from history later: memory per stream stays bounded and writers never wait. Control
// responses are always queued (they are bounded by the requests the client sends).

import {
  WatchCreateRequest_FilterType,
  type ResponseHeader,
  type WatchCreateRequest,
  type WatchRequest,
  type WatchResponse,
} from '../gen/etcdserverpb/rpc_pb.js';
import type { Event } from '../gen/mvccpb/kv_pb.js';
import { fragmentResponse } from './fragment.js';
import type { Watcher, WatchHub, WatchSink } from './hub.js';
import { toKeyRange } from './key_range.js';

/** etcd's clientv3.InvalidWatchID: failed creates and stream-wide progress responses. */
export const INVALID_WATCH_ID = -1n;
/** etcd's AutoWatchID: watch_id 0 in a create request lets the server choose. */
export const AUTO_WATCH_ID = 0n;
/** etcd's default --experimental-watch-progress-notify-interval. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10 * 60 * 1000;

export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
export const ERR_DUPLICATE_WATCH_ID = 'mvcc: duplicate watch ID provided on the WatchStream';

/** A timer source, injectable so tests drive progress notifications without waiting. */
export interface IntervalClock {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realClock: IntervalClock = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export interface WatchStreamOptions {
  /** Hands a response to the transport; false = its buffer is full, call drain() when writable. */
  send(resp: WatchResponse): boolean | void;
  /** cluster_id, member_id, raft_term for response headers; the stream sets the revision. */
  header(): ResponseHeader;
  /** Fragment threshold (etcd: --max-request-bytes + 512 KiB gRPC overhead). */
  maxRequestBytes: number;
  /** Interval of progress notifications for progress_notify watches; 0 = never. etcd adds up to
   *  10% random jitter, and so do we. Default 10 minutes. */
  progressIntervalMs?: number;
  clock?: IntervalClock;
  /** Events queued (the transport being slow) before this stream's watchers become victims. */
  queueLimit?: number;
  /** Auth hook: a cancel reason (e.g. "etcdserver: permission denied") refuses the watch. */
  permit?(req: WatchCreateRequest): string | undefined;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

interface Entry {
  readonly id: bigint;
  readonly watcher: Watcher;
  readonly fragment: boolean;
  readonly progressNotify: boolean;
  /** etcd's progress[id]: no events were sent since the last tick, so a notification is due. */
  progressDue: boolean;
  /** Cancelled by compaction: the hub forgot it, but the id stays taken until the client cancels. */
  compacted: boolean;
}

export class WatchStream implements WatchSink {
  private readonly entries = new Map<bigint, Entry>();
  private nextId = 0n;
  private readonly queue: WatchResponse[] = [];
  private queuedEvents = 0;
  private paused = false;
  private closed = false;
  /** A progress request arrived while some watcher was behind: answer once all are synced. */
  private deferredProgress = false;
  private readonly queueLimit: number;
  private readonly clock: IntervalClock;
  private readonly ticker: unknown;

  constructor(
    private readonly hub: WatchHub,
    private readonly opts: WatchStreamOptions,
  ) {
    this.queueLimit = opts.queueLimit ?? 1024;
    this.clock = opts.clock ?? realClock;
    const interval = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    if (interval > 0) {
      const jitter = Math.floor((opts.random ?? Math.random)() * (interval / 10));
      this.ticker = this.clock.setInterval(() => this.tickProgress(), interval + jitter);
    }
  }

  /** One request from the client. */
  handle(req: WatchRequest): void {
    if (this.closed) return;
    const u = req.requestUnion;
    switch (u.case) {
      case 'createRequest':
        this.create(u.value);
        break;
      case 'cancelRequest':
        this.cancel(u.value.watchId);
        break;
      case 'progressRequest':
        this.requestProgress();
        break;
      default:
        // etcd ignores requests it does not understand rather than ending the stream.
        break;
    }
  }

  /** The transport is writable again: flush what is queued, and let victims catch up. */
  drain(): void {
    if (this.closed) return;
    this.paused = false;
    this.flush();
    if (this.ready()) this.hub.wake();
  }

  /** The client went away: every watcher is cancelled, nothing more is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== undefined) this.clock.clearInterval(this.ticker);
    for (const e of this.entries.values()) this.hub.cancel(e.watcher);
    this.entries.clear();
    this.queue.length = 0;
    this.hub.addPending(-this.queuedEvents);
    this.queuedEvents = 0;
  }

  /** Watch ids currently registered (compacted ones included until the client cancels them). */
  get watchIds(): bigint[] {
    return [...this.entries.keys()];
  }

  /** Events waiting in the queue for the transport. */
  get pendingEvents(): number {
    return this.queuedEvents;
  }

  private create(c: WatchCreateRequest): void {
    const rev = this.hub.rev;
    const denied = this.opts.permit?.(c);
    if (denied !== undefined) return this.refuse(rev, denied);
    const range = toKeyRange(c.key, c.rangeEnd);
    if (range === undefined) return this.refuse(rev, ERR_EMPTY_WATCHER_RANGE);
    let id = c.watchId;
    if (id === AUTO_WATCH_ID) {
      while (this.entries.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.entries.has(id)) {
      return this.refuse(rev, ERR_DUPLICATE_WATCH_ID);
    }
    const startRev = c.startRevision === 0n ? rev + 1 : Number(c.startRevision);
    // The created response is queued before the hub can deliver anything for this watch.
    this.push(this.response(rev, { watchId: id, created: true }));
    const entry: Entry = {
      id,
      fragment: c.fragment,
      progressNotify: c.progressNotify,
      progressDue: true,
      compacted: false,
      watcher: this.hub.watch({
        range,
        startRev,
        sink: this,
        id,
        noPut: c.filters.includes(WatchCreateRequest_FilterType.NOPUT),
        noDelete: c.filters.includes(WatchCreateRequest_FilterType.NODELETE),
        prevKv: c.prevKv,
      }),
    };
    this.entries.set(id, entry);
  }

  /** etcd answers a failed create with created AND canceled, watch_id -1 and the reason. */
  private refuse(rev: number, reason: string): void {
    this.push(this.response(rev, { watchId: INVALID_WATCH_ID, created: true, canceled: true, cancelReason: reason }));
  }

  private cancel(id: bigint): void {
    const e = this.entries.get(id);
    if (e === undefined) return; // etcd: unknown id, no response
    this.hub.cancel(e.watcher);
    this.entries.delete(id);
    this.push(this.response(this.hub.rev, { watchId: id, canceled: true }));
    this.answerDeferredProgress();
  }

  /**
   * RequestProgress: one response with watch_id -1 and the head revision, but only when every
   * watcher of the stream is synced — otherwise the revision would claim events not yet sent
   * (etcd >= 3.4.26 / 3.5.8 defers it the same way).
   */
  private requestProgress(): void {
    if (this.allSynced()) this.sendStreamProgress();
    else this.deferredProgress = true;
  }

  private allSynced(): boolean {
    for (const e of this.entries.values()) if (!e.compacted && !this.hub.isSynced(e.watcher)) return false;
    return true;
  }

  private sendStreamProgress(): void {
    this.deferredProgress = false;
    this.push(this.response(this.hub.rev, { watchId: INVALID_WATCH_ID }));
  }

  private answerDeferredProgress(): void {
    if (this.deferredProgress && this.allSynced()) this.sendStreamProgress();
  }

  /** One progress-notify tick (etcd's progressTicker): watches with no events since the last
   *  tick and synced get an empty response at the head revision. */
  tickProgress(): void {
    if (this.closed) return;
    for (const e of this.entries.values()) {
      if (!e.progressNotify || e.compacted) continue;
      if (e.progressDue) this.hub.progress(e.watcher);
      e.progressDue = true;
    }
  }

  // ---- WatchSink: called by the hub ----

  ready(): boolean {
    return !this.closed && this.queuedEvents < this.queueLimit;
  }

  deliver(w: Watcher, events: Event[], rev: number): boolean {
    if (this.closed) return true;
    const e = this.entries.get(w.id);
    if (e === undefined || e.watcher !== w) return true;
    if (!this.ready()) return false;
    if (events.length > 0) e.progressDue = false;
    const resp = this.response(rev, { watchId: w.id, events });
    if (e.fragment) for (const part of fragmentResponse(resp, this.opts.maxRequestBytes)) this.push(part);
    else this.push(resp);
    return true;
  }

  compacted(w: Watcher, compactRev: number): boolean {
    if (this.closed) return true;
    const e = this.entries.get(w.id);
    if (e === undefined || e.watcher !== w) return true;
    if (!this.ready()) return false;
    e.compacted = true;
    // etcd's compaction response carries no revision in its header (it sends Revision 0).
    this.push(this.response(0, { watchId: w.id, compactRevision: BigInt(compactRev), canceled: true }));
    this.answerDeferredProgress();
    return true;
  }

  caughtUp(): void {
    this.answerDeferredProgress();
  }

  // ---- the ordered queue ----

  /**
   * A response as a plain protobuf-es message literal: with 10,000 watchers one write makes
   * 10,000 responses, and create(Schema, ...) measured at over half of that cost. Consecutive
   * responses of one revision share a header object (headers are never mutated).
   */
  private response(rev: number, fields: Partial<Omit<WatchResponse, '$typeName' | 'header'>>): WatchResponse {
    return {
      $typeName: 'etcdserverpb.WatchResponse',
      header: this.headerAt(rev),
      watchId: fields.watchId ?? 0n,
      created: fields.created ?? false,
      canceled: fields.canceled ?? false,
      compactRevision: fields.compactRevision ?? 0n,
      cancelReason: fields.cancelReason ?? '',
      fragment: fields.fragment ?? false,
      events: fields.events ?? [],
    };
  }

  private lastHeader: ResponseHeader | undefined;

  private headerAt(rev: number): ResponseHeader {
    const base = this.opts.header();
    const last = this.lastHeader;
    // Compared by value: header() may build a fresh object per call.
    if (
      last !== undefined &&
      last.revision === BigInt(rev) &&
      last.raftTerm === base.raftTerm &&
      last.memberId === base.memberId &&
      last.clusterId === base.clusterId
    ) {
      return last;
    }
    const header: ResponseHeader = { ...base, revision: BigInt(rev) };
    this.lastHeader = header;
    return header;
  }

  private push(resp: WatchResponse): void {
    if (this.closed) return;
    if (!this.paused && this.queue.length === 0) {
      if (this.opts.send(resp) === false) this.paused = true;
      return;
    }
    this.queue.push(resp);
    this.queuedEvents += resp.events.length;
    this.hub.addPending(resp.events.length);
  }

  private flush(): void {
    while (!this.paused && this.queue.length > 0) {
      const resp = this.queue.shift()!;
      this.queuedEvents -= resp.events.length;
      this.hub.addPending(-resp.events.length);
      if (this.opts.send(resp) === false) this.paused = true;
    }
  }
}
