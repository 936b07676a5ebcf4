// The etcd API level tsetcd implements. Clients (kube-apiserver, etcdctl) switch features on the
// etcd version a server reports, so Status.version and /version report this, never tsetcd's own
// version; tsetcd's own version is reported beside it (/version "tsetcd", --version).
import { readFileSync } from 'node:fs';

export const ETCD_API_VERSION = '3.4.0';
export const ETCD_CLUSTER_VERSION = '3.4.0';

function readOwnVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export const TSETCD_VERSION = readOwnVersion();
