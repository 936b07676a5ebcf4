// Unit tests of the output printers against outputs captured from etcdctl 3.4.23.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  AlarmResponseSchema, AlarmType, MemberListResponseSchema, RangeResponseSchema, ResponseHeaderSchema,
  StatusResponseSchema, TxnResponseSchema,
} from '../../src/gen/etcdserverpb/rpc_pb.js';
import { KeyValueSchema } from '../../src/gen/mvccpb/kv_pb.js';
import { CtlExit } from '../../src/cli/ctl/exit.js';
import { BufferOutput } from '../../src/cli/ctl/io.js';
import { FieldsPrinter, JsonPrinter, ProtobufPrinter, SimplePrinter, TablePrinter, type Printer } from '../../src/cli/ctl/printers/index.js';
import { humanizeBytes } from '../../src/cli/ctl/printers/gofmt.js';

const header = create(ResponseHeaderSchema, { clusterId: 324952591200643719n, memberId: 3319814642761637952n, revision: 2n, raftTerm: 2n });
const kv = create(KeyValueSchema, { key: Buffer.from('foo'), value: Buffer.from('bar'), createRevision: 2n, modRevision: 2n, version: 1n });
const range = create(RangeResponseSchema, { header, kvs: [kv], count: 1n });

test('json: field names, omitted zero values, base64 bytes, 64-bit ids as exact numbers', () => {
  const out = new BufferOutput();
  new JsonPrinter(out).get(range);
  assert.equal(out.text(), '{"header":{"cluster_id":324952591200643719,"member_id":3319814642761637952,"revision":2,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy"}],"count":1}\n');
  const big = new BufferOutput();
  new JsonPrinter(big).get(create(RangeResponseSchema, { header: create(ResponseHeaderSchema, { memberId: 18446744073709551615n }) }));
  assert.equal(big.text(), '{"header":{"member_id":18446744073709551615}}\n');
  const alarms = new BufferOutput();
  new JsonPrinter(alarms).alarm(create(AlarmResponseSchema, {}));
  assert.equal(alarms.text(), '{}\n');
});

test('json: txn responses keep Go\'s oneof wrapper names', () => {
  const out = new BufferOutput();
  new JsonPrinter(out).txn(create(TxnResponseSchema, {
    header, succeeded: true,
    responses: [
      { response: { case: 'responseRange', value: { header: { revision: 3n }, kvs: [kv], count: 1n } } },
      { response: { case: 'responsePut', value: { header: { revision: 4n } } } },
      { response: { case: 'responseDeleteRange', value: { header: { revision: 4n } } } },
    ],
  }));
  assert.equal(out.text(), '{"header":{"cluster_id":324952591200643719,"member_id":3319814642761637952,"revision":2,"raft_term":2},"succeeded":true,"responses":[{"Response":{"ResponseRange":{"header":{"revision":3},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy"}],"count":1}}},{"Response":{"ResponsePut":{"header":{"revision":4}}}},{"Response":{"ResponseDeleteRange":{"header":{"revision":4}}}}]}\n');
});

test('fields: Go %q quoting of keys and values', () => {
  const out = new BufferOutput();
  new FieldsPrinter(out).get(create(RangeResponseSchema, { header, kvs: [{ ...kv, key: Buffer.from('c\u00e9\t'), value: Uint8Array.of(0xff, 0x22, 0x0a) }], count: 1n }));
  assert.equal(out.text(), [
    '"ClusterID" : 324952591200643719', '"MemberID" : 3319814642761637952', '"Revision" : 2', '"RaftTerm" : 2',
    '"Key" : "c\u00e9\\t"', '"CreateRevision" : 2', '"ModRevision" : 2', '"Version" : 1', '"Value" : "\\xff\\"\\n"', '"Lease" : 0',
    '"More" : false', '"Count" : 1', '',
  ].join('\n'));
});

test('fields: a response without header ends like etcdctl\'s nil dereference (exit 2)', () => {
  assert.throws(() => new FieldsPrinter(new BufferOutput()).alarm(create(AlarmResponseSchema, {})), (e: unknown) => e instanceof CtlExit && e.code === 2);
});

test('simple: raw bytes, --hex escapes, --print-value-only, alarms', () => {
  const out = new BufferOutput();
  const p = new SimplePrinter(out, new BufferOutput(), false);
  p.get(create(RangeResponseSchema, { kvs: [{ key: Uint8Array.of(0xff), value: Buffer.from('v') }] }));
  assert.deepEqual([...out.bytes()], [0xff, 0x0a, 0x76, 0x0a]);
  const hex = new BufferOutput();
  new SimplePrinter(hex, new BufferOutput(), true).get(range);
  assert.equal(hex.text(), '\\x66\\x6f\\x6f\n\\x62\\x61\\x72\n');
  const vo = new BufferOutput();
  const pv = new SimplePrinter(vo, new BufferOutput(), false);
  pv.valueOnly = true;
  pv.get(range);
  assert.equal(vo.text(), 'bar\n');
  const al = new BufferOutput();
  new SimplePrinter(al, new BufferOutput(), false).alarm(create(AlarmResponseSchema, { alarms: [{ memberID: 3319814642761637952n, alarm: AlarmType.NOSPACE }] }));
  assert.equal(al.text(), 'memberID:3319814642761637952 alarm:NOSPACE \n');
});

test('table: etcdctl\'s endpoint status and member list tables', () => {
  const out = new BufferOutput();
  new TablePrinter(out).endpointStatus([{
    ep: '127.0.0.1:23790',
    resp: create(StatusResponseSchema, { header, version: '3.4.23', dbSize: 20480n, leader: 3319814642761637952n, raftIndex: 5n, raftTerm: 2n, raftAppliedIndex: 5n }),
  }]);
  assert.equal(out.text(), [
    '+-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '|    ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |',
    '+-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '| 127.0.0.1:23790 | 2e1259d415f2a040 |  3.4.23 |   20 kB |      true |      false |         2 |          5 |                  5 |        |',
    '+-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '',
  ].join('\n'));
  const ml = new BufferOutput();
  new TablePrinter(ml).memberList(create(MemberListResponseSchema, { header, members: [{ ID: 3319814642761637952n, name: '', peerURLs: ['http://a:1', 'http://b:2'], clientURLs: [] }] }));
  assert.match(ml.text(), /^\| 2e1259d415f2a040 \| unstarted \|      \| http:\/\/a:1,http:\/\/b:2 \|              \|      false \|$/m);
  const table: Printer = new TablePrinter(new BufferOutput());
  assert.throws(() => table.get(range), (e: unknown) => e instanceof CtlExit && e.code === 4 && e.message === 'table not supported as output format');
});

test('protobuf: the message in binary; endpoint results are not supported', () => {
  const out = new BufferOutput();
  new ProtobufPrinter(out).get(range);
  assert.equal(out.bytes().toString('hex').slice(0, 6), '0a1808');
  const pb: Printer = new ProtobufPrinter(new BufferOutput());
  assert.throws(() => pb.endpointStatus([]), (e: unknown) => e instanceof CtlExit && e.code === 4);
});

test('humanize: go-humanize Bytes with Go\'s half-to-even %.0f', () => {
  assert.equal(humanizeBytes(9n), '9 B');
  assert.equal(humanizeBytes(1000n), '1.0 kB');
  assert.equal(humanizeBytes(2500n), '2.5 kB');
  assert.equal(humanizeBytes(20480n), '20 kB');
  assert.equal(humanizeBytes(21500n), '22 kB');
  assert.equal(humanizeBytes(31_000_000n), '31 MB');
});
