// lease grant / revoke / timetolive / list / keep-alive and put --lease, in every format.
import { test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import type { ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { twins, type Step } from './harness.js';

/** A lease with an id of our choosing, so both twins print the same id. */
async function fixedLeases(server: ServerHandle): Promise<void> {
  const c = new EtcdClient({ endpoints: [server.endpoint] });
  try {
    await c.leaseGrant(1000n, 0x1234abcdn);
    await c.leaseGrant(1000n, 0x7fffffff00000001n);
  } finally {
    c.close();
  }
}

// The server picks new lease ids (from its clock) and the remaining TTL ticks: mask those only.
const ID = /[0-9a-f]{16}/g;
const JSON_ID = /"ID":\d+/g;
const FIELDS_ID = /"ID" : \d+/g;
const REMAINING = /remaining\(\d+s\)|"ttl":\d+|"TTL" : \d+/g;

test('lease commands and put --lease', async () => {
  const steps: Step[] = [
    { args: ['lease', 'grant', '60'], mask: [ID] },
    { args: ['lease', 'grant', '60', '-w', 'json'], mask: [JSON_ID] },
    { args: ['lease', 'grant', '60', '-w', 'fields'], mask: [FIELDS_ID] },
    { args: ['lease', 'grant', 'x'] }, { args: ['lease', 'grant'] }, { args: ['lease', 'grant', '60', '-w', 'table'], mask: [ID] },
    // One key per lease: etcd lists a lease's keys in Go map order, which varies per run.
    { args: ['put', 'k1', 'v', '--lease=1234abcd'] }, { args: ['put', 'k1', 'v1', '--lease', '1234abcd', '--prev-kv'] },
    { args: ['put', 'k2', 'v', '--prev-kv'] },
    { args: ['put', 'k1', 'v2', '--ignore-lease'] }, { args: ['get', 'k1', '-w', 'json'] }, { args: ['get', 'k1', '-w', 'fields'] },
    { args: ['put', 'k3', 'v', '--lease=abc'] },
    { args: ['lease', 'timetolive', '1234abcd'], mask: [REMAINING] },
    { args: ['lease', 'timetolive', '1234abcd', '--keys'], mask: [REMAINING] },
    { args: ['lease', 'timetolive', '1234abcd', '--keys', '-w', 'json'], mask: [REMAINING] },
    { args: ['lease', 'timetolive', '1234abcd', '--keys', '-w', 'fields'], mask: [REMAINING] },
    { args: ['lease', 'timetolive', 'abc'] }, { args: ['lease', 'timetolive', 'zz'] }, { args: ['lease', 'timetolive'] },
    { args: ['lease', 'timetolive', 'abc', '-w', 'json'] },
    { args: ['lease', 'keep-alive', '--once', '1234abcd'] }, { args: ['lease', 'keep-alive', '--once', '1234abcd', '-w', 'json'] },
    { args: ['lease', 'keep-alive', '--once', '1234abcd', '-w', 'fields'] }, { args: ['lease', 'keep-alive', '--once', 'abc'] },
    { args: ['lease', 'keep-alive'] },
    { args: ['lease', 'revoke', '7fffffff00000001'] }, { args: ['lease', 'revoke', '7fffffff00000001'] },
    { args: ['lease', 'revoke', '1234abcd', '-w', 'json'] }, { args: ['lease', 'revoke', 'zz'] }, { args: ['lease', 'revoke'] },
    { args: ['get', 'k', '--prefix'] }, { args: ['lease', 'timetolive', '1234abcd'] }, { args: ['lease', 'timetolive', '1234abcd', '-w', 'json'] },
    { args: ['lease', 'keep-alive', '1234abcd'] },
    { args: ['lease', 'list'], mask: [ID] }, { args: ['lease', 'list', '-w', 'json'], mask: [/"id":\d+/g] },
    { args: ['lease', 'list', '-w', 'fields'], mask: [FIELDS_ID] },
  ];
  assertSame(await twins(steps, fixedLeases));
});
