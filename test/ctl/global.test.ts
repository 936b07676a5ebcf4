// Global behaviour: help text, command prefixes, flag errors, ETCDCTL_* variables, exit codes.
import { after, before, test } from 'node:test';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { sameServer, type Step } from './harness.js';

let server: ServerHandle;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const bare = (...args: string[]): Step => ({ args, noEndpoint: true });

test('help and usage text, unknown commands and flags', async () => {
  assertSame(await sameServer(server, [
    bare(), bare('--help'), bare('-h'), bare('get', '--help'), bare('put', '-h'), bare('del', '--help'), bare('txn', '--help'),
    bare('member'), bare('member', 'bogus'), bare('member', 'list', '--help'), bare('endpoint'), bare('endpoint', 'status', '-h'),
    bare('endpoint', 'hashkv', '-h'), bare('endpoint', 'health', '-h'), bare('alarm'), bare('alarm', 'list', '-h'),
    bare('compaction', '-h'), bare('defrag', '-h'), bare('version', '-h'), bare('help', 'get'), bare('help'), bare('help', 'bogus'), bare('completion'),
    bare('bogus'), bare('gte'), bare('l'), bare('get', '--bogus', 'x'), bare('get', '-x'), bare('get', '--rev=abc', 'x'),
    bare('get', '--rev'), bare('get', '-w'), bare('--dial-timeout=abc', 'get', 'x'), bare('--dial-timeout=5', 'get', 'x'),
    bare('get', '--prefix=maybe', 'x'), bare('get', '---x'), bare('--endpoints'),
  ]));
});

test('global flags and ETCDCTL_* environment variables', async () => {
  const ep = server.endpoint;
  assertSame(await sameServer(server, [
    { args: ['put', 'k', 'v'] },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_WRITE_OUT: 'json' } },
    { args: ['get', 'k'], env: { ETCDCTL_ENDPOINTS: ep } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_DIAL_TIMEOUT: '3s' } },
    { args: ['--dial-timeout=3s', 'get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_DIAL_TIMEOUT: '' } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_DIAL_TIMEOUT: 'junk' } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_FOO: 'bar' } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_PREFIX: 'true' } },
    { args: ['get', 'k'], noEndpoint: true, env: { ETCDCTL_ENDPOINTS: ep, ETCDCTL_API: '3' } },
    { args: ['get'], env: { ETCDCTL_ENDPOINTS: ep } },
    { args: ['-w', 'json', 'get', 'k'] }, { args: ['get', 'k', '-wjson'] }, { args: ['get', 'k', '-w=fields'] },
    { args: ['--hex', 'get', 'k'] }, { args: ['get', 'k', '--hex=false'] },
    { args: [`--endpoints=${ep},${ep}`, 'endpoint', 'status'], noEndpoint: true },
    { args: ['--endpoints', `http://${ep}`, 'endpoint', 'status', '-w', 'json'], noEndpoint: true },
    { args: ['--cert='] , noEndpoint: false }, { args: ['get', 'k', '--cacert='] }, { args: ['get', 'k', '--key='] },
    { args: ['endpoint', 'status'], env: { ETCDCTL_CLUSTER: 'true' } },
    { args: ['endpoint', 'status', '--cluster'], env: { ETCDCTL_CLUSTER: 'true' } },
  ]));
});
