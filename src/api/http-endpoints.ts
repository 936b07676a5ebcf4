// The plain HTTP endpoints etcd serves on its client (and metrics) URLs: /health, /version,
// /metrics. Shapes match etcd 3.4's so probes and scrapers work unchanged.
import type * as http from 'node:http';
import type { EtcdServer } from '../server/etcd-server.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, TSETCD_VERSION } from '../version.js';

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

export function isHttpEndpoint(pathname: string): boolean {
  return pathname === '/health' || pathname === '/version' || pathname === '/metrics';
}

export async function handleHttpEndpoint(server: EtcdServer, _req: Req, res: Res, pathname: string): Promise<void> {
  switch (pathname) {
    case '/health': {
      const healthy = server.isHealthy();
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(JSON.stringify({ health: healthy ? 'true' : 'false' }));
      return;
    }
    case '/version':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, tsetcd: TSETCD_VERSION }));
      return;
    case '/metrics': {
      server.status(); // refreshes the db size gauges
      const body = await server.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': server.metrics.registry.contentType });
      res.end(body);
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
  }
}
