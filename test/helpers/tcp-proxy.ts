// A TCP proxy a test controls, placed in front of a member's peer port (as etcd's functional
// tests do): the member listens on its real peer port and advertises the proxy's.
//
// Faults:
//  - partition 'drop':      existing connections are destroyed, new ones accepted and closed at once;
//  - partition 'blackhole': connections are kept but nothing is forwarded either way (both sockets
//                           are paused, so TCP back-pressure builds as on a dead link; data is
//                           not lost, it flows again on heal); new connections are held the same way;
//  - delay:                 every chunk is forwarded after `ms` (order kept).
// A fault applies to every connection, or only to connections from chosen sources: an optional
// `identify` callback names the process at the other end of an accepted connection (cluster.ts
// finds the member PID that owns the client socket), so one member's outgoing traffic can be cut
// without touching the others'.
import * as net from 'node:net';

export type PartitionMode = 'drop' | 'blackhole';

export interface TcpProxyOptions {
  /** Where to forward: 127.0.0.1:targetPort. */
  targetPort: number;
  /** Port to listen on (127.0.0.1); 0 = any free port. */
  listenPort?: number;
  /** Names the source of an accepted connection (undefined when unknown). */
  identify?: (socket: net.Socket) => Promise<string | undefined>;
  /** Short label for diagnostics. */
  label?: string;
}

interface Conn {
  client: net.Socket;
  upstream: net.Socket | null;
  source: string | undefined;
  /** Resolves once identification (if any) finished. */
  held: boolean;
}

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  /** Cut everything (undefined = no), or cut only connections from these sources. */
  private allMode: PartitionMode | undefined;
  private readonly fromModes = new Map<string, PartitionMode>();
  private delayMs = 0;
  port = 0;
  readonly stats = { accepted: 0, dropped: 0 };

  constructor(private readonly opts: TcpProxyOptions) {}

  get label(): string {
    return this.opts.label ?? `proxy:${this.port}->${this.opts.targetPort}`;
  }

  async start(): Promise<number> {
    const server = net.createServer({ pauseOnConnect: true }, (s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listenPort ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Cut all traffic through this proxy. */
  partition(mode: PartitionMode = 'drop'): void {
    this.allMode = mode;
    this.enforce();
  }

  /** Cut traffic on connections opened by `source` (as named by identify). */
  partitionFrom(source: string, mode: PartitionMode = 'drop'): void {
    this.fromModes.set(source, mode);
    this.enforce();
  }

  /** Remove every partition; blackholed connections start flowing again. */
  heal(): void {
    this.allMode = undefined;
    this.fromModes.clear();
    for (const c of this.conns) this.flow(c);
  }

  /** Forward each chunk this much later (0: no delay). */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Open connections (past identification; forwarding or blackholed). */
  connections(): number {
    let n = 0;
    for (const c of this.conns) if (!c.held) n++;
    return n;
  }

  /** Open connections identified as coming from `source` (forwarding or blackholed). */
  connectionsFrom(source: string): number {
    let n = 0;
    for (const c of this.conns) if (!c.held && c.source === source) n++;
    return n;
  }

  async close(): Promise<void> {
    for (const c of [...this.conns]) this.destroy(c);
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private modeFor(c: Conn): PartitionMode | undefined {
    if (this.allMode !== undefined) return this.allMode;
    return c.source === undefined ? undefined : this.fromModes.get(c.source);
  }

  private enforce(): void {
    for (const c of [...this.conns]) {
      if (c.held) continue;
      const mode = this.modeFor(c);
      if (mode === 'drop') this.destroy(c);
      else if (mode === 'blackhole') this.stall(c);
    }
  }

  private destroy(c: Conn): void {
    if (!this.conns.delete(c)) return;
    this.stats.dropped++;
    c.client.destroy();
    c.upstream?.destroy();
  }

  private stall(c: Conn): void {
    c.client.pause();
    c.upstream?.pause();
  }

  /** Connects upstream if not yet, then forwards both ways unless a partition says otherwise. */
  private flow(c: Conn): void {
    if (!this.conns.has(c)) return;
    const mode = this.modeFor(c);
    if (mode === 'drop') return this.destroy(c);
    if (mode === 'blackhole') return this.stall(c);
    if (c.upstream === null) {
      const up = net.connect({ host: '127.0.0.1', port: this.opts.targetPort });
      c.upstream = up;
      up.setNoDelay(true);
      up.on('error', () => this.destroy(c));
      up.on('close', () => this.destroy(c));
      this.pipe(c.client, up, c);
      this.pipe(up, c.client, c);
    }
    c.client.resume();
    c.upstream.resume();
  }

  private pipe(from: net.Socket, to: net.Socket, c: Conn): void {
    let lastAt = 0;
    from.on('data', (chunk: Buffer) => {
      if (!this.conns.has(c)) return;
      if (this.delayMs === 0 && lastAt <= Date.now()) {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => { if (this.conns.has(c) && this.modeFor(c) === undefined) from.resume(); });
        }
        return;
      }
      const at = Math.max(Date.now() + this.delayMs, lastAt);
      lastAt = at;
      setTimeout(() => { if (this.conns.has(c)) to.write(chunk); }, at - Date.now());
    });
    from.on('end', () => { if (this.conns.has(c)) setTimeout(() => to.end(), Math.max(0, lastAt - Date.now())); });
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.setNoDelay(true);
    const c: Conn = { client, upstream: null, source: undefined, held: true };
    this.conns.add(c);
    client.on('error', () => this.destroy(c));
    client.on('close', () => this.destroy(c));
    const identify = this.opts.identify;
    const go = (source: string | undefined): void => {
      c.source = source;
      c.held = false;
      this.flow(c);
    };
    if (identify === undefined) go(undefined);
    else identify(client).then(go, () => go(undefined));
  }
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/**
 * Which of `candidates` (pid → name) owns the client end of a connection accepted on 127.0.0.1
 * (Linux: the socket's inode from /proc/net/tcp, then the process whose fd links to it).
 * Protocol-agnostic: works whatever the members speak on their peer ports.
 */
export async function socketOwner(socket: net.Socket, candidates: ReadonlyMap<number, string>): Promise<string | undefined> {
  const { readFile, readdir, readlink } = await import('node:fs/promises');
  const remotePort = socket.remotePort;
  const localPort = socket.localPort;
  if (remotePort === undefined || localPort === undefined) return undefined;
  const local = `0100007F:${hex4(remotePort)}`;
  const remote = `0100007F:${hex4(localPort)}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let inode: string | undefined;
    for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[1] === local && f[2] === remote) { inode = f[9]; break; }
    }
    if (inode !== undefined && inode !== '0') {
      const link = `socket:[${inode}]`;
      for (const [pid, name] of candidates) {
        let fds: string[];
        try { fds = await readdir(`/proc/${pid}/fd`); } catch { continue; }
        for (const fd of fds) {
          try { if ((await readlink(`/proc/${pid}/fd/${fd}`)) === link) return name; } catch { /* closed meanwhile */ }
        }
      }
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}
