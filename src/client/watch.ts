// Watches over one Watch stream, with clientv3 3.4's client-side behaviour (clientv3/watch.go):
//  - every watch of a Watcher shares one bidi stream; creates go out one at a time and each
//    Created answer is matched to the oldest pending create;
//  - the Created answer itself is not delivered; a watch that starts "now" (no revision) resumes
//    from the revision in that answer;
//  - after a transport failure the stream is reopened (with backoff) and every watch is created
//    again from the revision after the last one it saw, so nothing is lost or repeated;
//  - a server cancel without a compact revision ends the watch silently; a cancel with one is
//    delivered (Err() = "etcdserver: mvcc: required revision has been compacted") and ends it;
//  - a progress notification with watch id -1 goes to every watch of the stream;
//  - an error that is not worth retrying ends every watch with a Canceled result carrying it.
import { create } from '@bufbuild/protobuf';
import {
  WatchCancelRequestSchema, WatchCreateRequestSchema, WatchProgressRequestSchema, WatchRequestSchema,
  type ResponseHeader, ResponseHeaderSchema, type WatchRequest, type WatchResponse,
} from '../gen/etcdserverpb/rpc_pb.js';
import type { Event } from '../gen/mvccpb/kv_pb.js';
import type { EtcdClient } from './client.js';
import { classify, EtcdError, serverError } from './errors.js';

export interface WatchOptions {
  key: Uint8Array;
  /** Empty: the single key. */
  rangeEnd?: Uint8Array;
  /** 0 (default): from the next revision. */
  startRevision?: bigint;
  prevKv?: boolean;
  progressNotify?: boolean;
}

/** One delivered response, as clientv3.WatchResponse. */
export interface WatchResult {
  header: ResponseHeader;
  events: Event[];
  compactRevision: bigint;
  canceled: boolean;
  created: boolean;
  cancelReason: string;
  /** The error that closed the whole stream (clientv3's closeErr). */
  closeErr?: EtcdError | undefined;
}

const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';
const FUTURE_REV = 'etcdserver: mvcc: required revision is a future revision';

/** clientv3 WatchResponse.Err(): the reason a watch ended, or undefined. */
export function watchResultError(r: WatchResult): string | undefined {
  if (r.closeErr !== undefined) return r.closeErr.message;
  if (r.compactRevision !== 0n) return COMPACTED;
  if (r.canceled) return r.cancelReason !== '' ? serverError(9, r.cancelReason).message : FUTURE_REV;
  return undefined;
}

/** clientv3 WatchResponse.IsProgressNotify(). */
export function isProgressNotify(r: WatchResult): boolean {
  return r.events.length === 0 && !r.canceled && !r.created && r.compactRevision === 0n && r.header.revision !== 0n;
}

/** An unbounded async queue: push() from anywhere, consume with for-await; end() finishes it. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;

  push(v: T): void {
    if (this.ended) return;
    const w = this.waiting;
    if (w !== undefined) {
      this.waiting = undefined;
      w({ value: v, done: false });
    } else this.items.push(v);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        const v = this.items.shift();
        if (v !== undefined) return Promise.resolve({ value: v, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { this.waiting = resolve; });
      },
      return: (): Promise<IteratorResult<T>> => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (e?: unknown): Promise<IteratorResult<T>> => {
        this.end();
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      },
    };
  }
}

interface Substream {
  opts: WatchOptions;
  /** The revision to (re)start from; 0 = now. */
  nextRev: bigint;
  id: bigint | undefined;
  out: AsyncQueue<WatchResult>;
  /** Set once the Created answer was seen (later Created answers are re-creates after a resume). */
  established: boolean;
}

const INVALID_WATCH_ID = -1n;
const NO_DEADLINE = 2 ** 31 - 1;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 3000;

export class Watcher {
  private readonly substreams = new Map<bigint, Substream>();
  private resuming: Substream[] = [];
  private requests: AsyncQueue<WatchRequest> | undefined;
  private readonly ac = new AbortController();
  private running = false;
  private closed = false;
  private readonly cancelSent = new Set<bigint>();

  constructor(private readonly client: EtcdClient, private readonly requireLeader = true) {}

  /** Starts a watch; its results arrive on the returned iterable, which ends when the watch does. */
  watch(opts: WatchOptions): AsyncIterable<WatchResult> {
    const ws: Substream = { opts, nextRev: opts.startRevision ?? 0n, id: undefined, out: new AsyncQueue(), established: false };
    if (this.closed) {
      ws.out.end();
      return ws.out;
    }
    this.resuming.push(ws);
    if (!this.running) {
      this.running = true;
      void this.run();
    } else if (this.resuming.length === 1 && this.requests !== undefined) {
      this.requests.push(createRequest(ws));
    }
    return ws.out;
  }

  /** Asks the server for a progress notification on every watch of the stream (clientv3 RequestProgress). */
  requestProgress(): void {
    this.requests?.push(create(WatchRequestSchema, { requestUnion: { case: 'progressRequest', value: create(WatchProgressRequestSchema, {}) } }));
  }

  /** Cancels the stream; every watch ends without a further result. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ac.abort();
    this.requests?.end();
    for (const ws of this.all()) ws.out.end();
    this.substreams.clear();
    this.resuming = [];
  }

  private all(): Substream[] {
    return [...this.substreams.values(), ...this.resuming];
  }

  private async run(): Promise<void> {
    let backoff = 0;
    let closeErr: EtcdError | undefined;
    while (!this.closed) {
      // (Re)open: every live watch is created again, in order, from where it got to.
      this.resuming = [...this.substreams.values(), ...this.resuming].filter((ws) => !ws.out.isEnded);
      for (const ws of this.resuming) ws.id = undefined;
      this.substreams.clear();
      this.cancelSent.clear();
      const reqs = new AsyncQueue<WatchRequest>();
      this.requests = reqs;
      let stream: AsyncIterable<WatchResponse>;
      try {
        stream = await this.client.openWatchStream(reqs, this.ac.signal, this.requireLeader, { timeoutMs: NO_DEADLINE });
      } catch (e) {
        if (this.closed) return;
        closeErr = e instanceof EtcdError ? e : serverError(2, String(e));
        break;
      }
      const head = this.resuming[0];
      if (head !== undefined) reqs.push(createRequest(head));
      try {
        for await (const resp of stream) {
          backoff = 0;
          this.handle(resp);
        }
        if (this.closed) return;
        // The server ended the stream without a status: grpc-go reports io.EOF, a halting error.
        closeErr = new EtcdError('EOF', 'server', 2, 'EOF', 'EOF');
        break;
      } catch (e) {
        if (this.closed) return;
        const halt = haltError(e);
        if (halt !== undefined) {
          closeErr = halt;
          break;
        }
      } finally {
        reqs.end();
      }
      backoff = Math.min(BACKOFF_MAX_MS, backoff === 0 ? BACKOFF_MIN_MS : backoff * 2);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.ac.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
    if (this.closed) return;
    for (const ws of this.all()) {
      ws.out.push({ header: create(ResponseHeaderSchema, {}), events: [], compactRevision: 0n, canceled: true, created: false, cancelReason: '', closeErr });
      ws.out.end();
    }
    this.substreams.clear();
    this.resuming = [];
    this.requests = undefined;
  }

  private handle(resp: WatchResponse): void {
    if (resp.created) {
      const ws = this.resuming.shift();
      if (ws !== undefined) {
        ws.id = resp.watchId;
        this.substreams.set(resp.watchId, ws);
        // A watch from "now" continues from the revision it was created at.
        if (ws.nextRev === 0n) ws.nextRev = resp.header?.revision ?? 0n;
        if (resp.events.length > 0) ws.nextRev = lastRev(resp.events) + 1n;
        ws.established = true;
      }
      const next = this.resuming[0];
      if (next !== undefined) this.requests?.push(createRequest(next));
      return;
    }
    if (resp.canceled && resp.compactRevision === 0n) {
      const ws = this.substreams.get(resp.watchId);
      if (ws !== undefined) {
        this.substreams.delete(resp.watchId);
        ws.out.end();
      }
      return;
    }
    const r: WatchResult = {
      header: resp.header ?? create(ResponseHeaderSchema, {}),
      events: resp.events,
      compactRevision: resp.compactRevision,
      canceled: resp.canceled,
      created: false,
      cancelReason: resp.cancelReason,
    };
    if (isProgressNotify(r) && resp.watchId === INVALID_WATCH_ID) {
      for (const ws of this.substreams.values()) this.deliver(ws, r);
      return;
    }
    const ws = this.substreams.get(resp.watchId);
    if (ws === undefined) {
      // Events for a watch we do not know: cancel it, once.
      if (!this.cancelSent.has(resp.watchId)) {
        this.cancelSent.add(resp.watchId);
        this.requests?.push(create(WatchRequestSchema, { requestUnion: { case: 'cancelRequest', value: create(WatchCancelRequestSchema, { watchId: resp.watchId }) } }));
      }
      return;
    }
    this.deliver(ws, r);
  }

  private deliver(ws: Substream, r: WatchResult): void {
    ws.nextRev = r.events.length > 0 ? lastRev(r.events) + 1n : r.header.revision;
    ws.out.push(r);
    if (watchResultError(r) !== undefined) {
      if (ws.id !== undefined) this.substreams.delete(ws.id);
      ws.out.end();
    }
  }
}

function lastRev(events: Event[]): bigint {
  return events[events.length - 1]?.kv?.modRevision ?? 0n;
}

function createRequest(ws: Substream): WatchRequest {
  return create(WatchRequestSchema, {
    requestUnion: {
      case: 'createRequest',
      value: create(WatchCreateRequestSchema, {
        key: ws.opts.key,
        rangeEnd: ws.opts.rangeEnd ?? new Uint8Array(0),
        startRevision: ws.nextRev,
        prevKv: ws.opts.prevKv === true,
        progressNotify: ws.opts.progressNotify === true,
      }),
    },
  });
}

/**
 * clientv3 isHaltErr (and ErrNoLeader): a server status other than Unavailable/Internal ends
 * every watch; transport failures are retried.
 */
function haltError(e: unknown): EtcdError | undefined {
  if (e instanceof EtcdError) return e.kind === 'transport' ? undefined : e;
  const c = classify(e);
  if (!c.reached) return undefined;
  if (c.error.description === 'etcdserver: no leader') return c.error;
  if (c.error.code === 14 || c.error.code === 13) return undefined;
  return c.error;
}
