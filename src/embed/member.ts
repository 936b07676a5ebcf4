// Start and stop a whole member in-process: storage, consensus, and the client listeners.
// Used by bin/tsetcd and exported to users for their own tests (`import { startMember } from 'tsetcd'`).
import { type ClientHandlers, createClientHandlers } from '../api/client-handler.js';
import { type ClientListener, listenClient } from '../api/client-listener.js';
import { EtcdServer } from '../server/etcd-server.js';
import { type TlsFiles, loadTls } from './tls-files.js';

export interface StartMemberOptions {
  name?: string;
  dataDir: string;
  walDir?: string;
  /** Where to listen for clients; port 0 picks a free port (see Member.clientUrls). */
  listenClientUrls?: string[];
  advertiseClientUrls?: string[];
  initialAdvertisePeerUrls?: string[];
  initialClusterToken?: string;
  maxRequestBytes?: number;
  maxTxnOps?: number;
  /** Extra listeners that serve only /metrics and /health (etcd's --listen-metrics-urls). */
  listenMetricsUrls?: string[];
  defaultMetrics?: boolean;
  /** Where to listen for peers (other members); none for a member that stays alone. */
  listenPeerUrls?: string[];
  /** --initial-cluster, "name=url,name=url" or a map; default: this member alone. */
  initialCluster?: string | ReadonlyMap<string, readonly string[]>;
  initialClusterState?: 'new' | 'existing';
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  /** --snapshot-count: applied entries between Raft snapshots (default 100,000). */
  snapshotCount?: number;
  /** Entries kept behind a snapshot for lagging followers (default 5,000; a test knob). */
  snapshotCatchUpEntries?: number;
  /** --strict-reconfig-check (default true). */
  strictReconfigCheck?: boolean;
  /** Client TLS (etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth) for https:// client URLs. */
  clientTls?: TlsFiles;
  /** Peer TLS (etcd's --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth). */
  peerTls?: TlsFiles;
  /** Called when this member has been removed from its cluster (it should then be stopped). */
  onRemoved?: () => void;
  warn?: (fields: Record<string, unknown>, msg: string) => void;
}

/** Parses etcd's --initial-cluster text form ("a=http://h:1,a=http://h:2,b=..."). */
export function parseInitialClusterText(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid initial cluster entry ${JSON.stringify(part)}`);
    const name = part.slice(0, eq);
    const list = out.get(name) ?? [];
    list.push(part.slice(eq + 1));
    out.set(name, list);
  }
  return out;
}

export interface Member {
  readonly server: EtcdServer;
  /** The URLs actually listened on (with the real port when 0 was asked for). */
  readonly clientUrls: string[];
  stop(): Promise<void>;
}

export async function startMember(o: StartMemberOptions): Promise<Member> {
  const listenUrls = (o.listenClientUrls ?? ['http://127.0.0.1:2379']).map((u) => new URL(u));
  const name = o.name ?? 'default';
  // Bind first so that port-0 listeners know their port before the member advertises it; until
  // the server is up, connections are refused politely.
  let active: ClientHandlers | null = null;
  const front: ClientHandlers = {
    grpc: (conn) => (active ? active.grpc(conn) : conn.destroy()),
    http: (req, res) => {
      if (active) return active.http(req, res);
      res.writeHead(503);
      res.end();
    },
    close: () => active?.close(),
  };
  const listeners: ClientListener[] = [];
  let metricsHandlers: ClientHandlers | null = null;
  try {
    const clientTls = o.clientTls ? loadTls(o.clientTls, '').server : undefined;
    const peerTls = o.peerTls ? loadTls(o.peerTls, 'peer-') : undefined;
    for (const u of listenUrls) listeners.push(await listenClient(u, front, clientTls));
    const clientUrls = listenUrls.map((u, i) => `${u.protocol}//${u.hostname}:${listeners[i]!.address.port}`);
    const server = await EtcdServer.start({
      name,
      dataDir: o.dataDir,
      walDir: o.walDir,
      peerUrls: o.initialAdvertisePeerUrls ?? ['http://localhost:2380'],
      clientUrls: o.advertiseClientUrls ?? clientUrls,
      initialClusterToken: o.initialClusterToken ?? 'etcd-cluster',
      maxRequestBytes: o.maxRequestBytes ?? 1.5 * 1024 * 1024,
      maxTxnOps: o.maxTxnOps ?? 128,
      defaultMetrics: o.defaultMetrics,
      ...(o.initialCluster !== undefined
        ? { initialCluster: typeof o.initialCluster === 'string' ? parseInitialClusterText(o.initialCluster) : o.initialCluster }
        : {}),
      initialClusterState: o.initialClusterState ?? 'new',
      listenPeerUrls: (o.listenPeerUrls ?? []).map((u) => new URL(u)),
      heartbeatMs: o.heartbeatIntervalMs ?? 100,
      electionMs: o.electionTimeoutMs ?? 1000,
      snapshotCount: o.snapshotCount ?? 100_000,
      ...(o.snapshotCatchUpEntries !== undefined ? { snapshotCatchUpEntries: o.snapshotCatchUpEntries } : {}),
      onRemoved: o.onRemoved,
      warn: o.warn,
      strictReconfigCheck: o.strictReconfigCheck ?? true,
      ...(peerTls ? { peerTls } : {}),
    });
    active = createClientHandlers(server, server.opts.maxRequestBytes);
    if ((o.listenMetricsUrls ?? []).length > 0) {
      metricsHandlers = createClientHandlers(server, server.opts.maxRequestBytes, { grpc: false });
      for (const u of o.listenMetricsUrls ?? []) listeners.push(await listenClient(new URL(u), metricsHandlers, clientTls));
    }
    return {
      server,
      clientUrls,
      async stop() {
        await Promise.all(listeners.map((l) => l.close()));
        front.close();
        metricsHandlers?.close();
        await server.stop();
      },
    };
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    front.close();
    throw e;
  }
}
