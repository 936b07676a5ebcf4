// The gRPC services: thin adapters from protobuf requests to EtcdServer calls. No business rules
// live here; errors from the server (EtcdError) become gRPC statuses with etcd's code and message.
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { Cluster, KV, Maintenance } from '../gen/etcdserverpb/rpc_pb.js';
import { EtcdError } from '../server/errors.js';
import type { EtcdServer } from '../server/etcd-server.js';

function toConnectError(e: unknown): unknown {
  if (e instanceof ConnectError) return e;
  if (e instanceof EtcdError) return new ConnectError(e.message, e.code as number as Code);
  return new ConnectError(e instanceof Error ? e.message : String(e), Code.Unknown);
}

/** Maps errors and counts RPCs under go-grpc-prometheus's metric names, as etcd exports them. */
function serverInterceptor(server: EtcdServer): Interceptor {
  return (next) => async (req) => {
    const labels = {
      grpc_type: req.stream ? 'bidi_stream' : 'unary',
      grpc_service: req.service.typeName,
      grpc_method: req.method.name,
    };
    server.metrics.grpcStarted.inc(labels);
    try {
      const res = await next(req);
      server.metrics.grpcHandled.inc({ ...labels, grpc_code: 'OK' });
      return res;
    } catch (e) {
      const ce = toConnectError(e) as ConnectError;
      server.metrics.grpcHandled.inc({ ...labels, grpc_code: Code[ce.code] ?? 'Unknown' });
      throw ce;
    }
  };
}

export function grpcRoutes(server: EtcdServer): (router: ConnectRouter) => void {
  const interceptors = [serverInterceptor(server)];
  return (router) => {
    router.service(
      KV,
      {
        range: (r) => server.range(r),
        put: (r) => server.put(r),
        deleteRange: (r) => server.deleteRange(r),
        txn: (r) => server.txn(r),
        compact: (r) => server.compact(r),
      },
      { interceptors },
    );
    router.service(
      Maintenance,
      {
        status: () => server.status(),
        hash: () => server.hash(),
        hashKV: (r) => server.hashKV(r.revision),
        defragment: () => server.defragment(),
        alarm: (r) => server.alarm(r),
      },
      { interceptors },
    );
    router.service(Cluster, { memberList: () => server.memberList() }, { interceptors });
  };
}
