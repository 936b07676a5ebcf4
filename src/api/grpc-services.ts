// The gRPC services: thin adapters from protobuf requests to EtcdServer calls. No business rules
// live here; errors thrown by the server (EtcdError) carry etcd's gRPC code and message.
import {
  Cluster,
  KV,
  Lease,
  type LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
  Maintenance,
  Watch,
  type WatchRequest,
  type WatchResponse,
} from '../gen/etcdserverpb/rpc_pb.js';
import { WatchStream } from '../watch/index.js';
import { concurrencyServices } from '../concurrency/index.js';
import type { Reconfiguration } from '../server/reconfig.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { type BidiStream, type RpcObserver, type ServiceImpl, grpcCodeName } from './grpc-server.js';

/** etcd fragments watch responses above --max-request-bytes plus the gRPC overhead. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export function etcdServices(server: EtcdServer): ServiceImpl[] {
  return [
    ...concurrencyServices(server),
    {
      service: Watch,
      methods: {
        watch: {
          bidi: (stream: BidiStream<WatchRequest, WatchResponse>) => {
            const ws = new WatchStream(server.watchHub, {
              send: (resp) => stream.send(resp),
              header: () => server.baseHeader(),
              maxRequestBytes: server.opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
            });
            server.watchStreams++;
            stream.onDrain(() => ws.drain());
            stream.onMessage((req) => ws.handle(req));
            stream.onClose(() => {
              server.watchStreams--;
              ws.close();
            });
          },
        },
      },
    },
    {
      service: KV,
      methods: {
        range: (r: Parameters<EtcdServer['range']>[0]) => server.range(r),
        put: (r: Parameters<EtcdServer['put']>[0]) => server.put(r),
        deleteRange: (r: Parameters<EtcdServer['deleteRange']>[0]) => server.deleteRange(r),
        txn: (r: Parameters<EtcdServer['txn']>[0]) => server.txn(r),
        compact: (r: Parameters<EtcdServer['compact']>[0]) => server.compact(r),
      },
    },
    {
      service: Maintenance,
      methods: {
        status: () => server.status(),
        hash: () => server.hash(),
        hashKV: (r: { revision: bigint }) => server.hashKV(r.revision),
        defragment: () => server.defragment(),
        alarm: (r: Parameters<EtcdServer['alarm']>[0]) => server.alarm(r),
        moveLeader: (r: Parameters<Reconfiguration['moveLeader']>[0]) => server.reconfig.moveLeader(r),
      },
    },
    {
      service: Cluster,
      methods: {
        memberList: (r: Parameters<EtcdServer['memberList']>[0]) => server.memberList(r),
        memberAdd: (r: Parameters<Reconfiguration['memberAdd']>[0]) => server.reconfig.memberAdd(r),
        memberRemove: (r: Parameters<Reconfiguration['memberRemove']>[0]) => server.reconfig.memberRemove(r),
        memberUpdate: (r: Parameters<Reconfiguration['memberUpdate']>[0]) => server.reconfig.memberUpdate(r),
        memberPromote: (r: Parameters<Reconfiguration['memberPromote']>[0]) => server.reconfig.memberPromote(r),
      },
    },
    {
      service: Lease,
      methods: {
        leaseGrant: (r: Parameters<EtcdServer['leaseGrant']>[0]) => server.leaseGrant(r),
        leaseRevoke: (r: Parameters<EtcdServer['leaseRevoke']>[0]) => server.leaseRevoke(r),
        leaseTimeToLive: (r: Parameters<EtcdServer['leaseTimeToLive']>[0]) => server.leaseTimeToLive(r),
        leaseLeases: () => server.leaseLeases(),
        leaseKeepAlive: {
          bidi: (stream: BidiStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>) => {
            // Answers leave in request order, also when a follower forwards them to the leader.
            let chain: Promise<void> = Promise.resolve();
            stream.onMessage((req) => {
              let out;
              try {
                out = server.leaseKeepAlive(req.ID);
              } catch (e) {
                stream.end(e);
                return;
              }
              if (!(out instanceof Promise)) {
                chain = chain.then(() => void stream.send(out));
                return;
              }
              chain = chain.then(() => out.then((r) => void stream.send(r))).catch((e: unknown) => stream.end(e));
            });
          },
        },
      },
    },
  ];
}

/** Counts RPCs under go-grpc-prometheus's metric names, as etcd exports them. Labeled children
 *  are cached per method/code: resolving labels on every request costs more than the count. */
export function metricsObserver(server: EtcdServer): RpcObserver {
  const started = new Map<string, { inc(): void }>();
  const handled = new Map<string, { inc(): void }>();
  return {
    started: (grpc_service, grpc_method, grpc_type = 'unary') => {
      const k = `${grpc_service}/${grpc_method}`;
      let c = started.get(k);
      if (!c) started.set(k, (c = server.metrics.grpcStarted.labels({ grpc_type, grpc_service, grpc_method })));
      c.inc();
    },
    handled: (grpc_service, grpc_method, code, grpc_type = 'unary') => {
      const k = `${grpc_service}/${grpc_method}/${code}`;
      let c = handled.get(k);
      if (!c) {
        c = server.metrics.grpcHandled.labels({ grpc_type, grpc_service, grpc_method, grpc_code: grpcCodeName(code) });
        handled.set(k, c);
      }
      c.inc();
    },
  };
}
