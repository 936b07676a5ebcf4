import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  type RequestOp,
  RequestOpSchema,
  TxnRequestSchema,
  CompareSchema,
  PutRequestSchema,
} from '../../src/gen/etcdserverpb/rpc_pb.js';
import { checkIntervals, checkPutRequest, checkTxnRequest, isTxnReadOnly } from '../../src/server/validate.js';

const b = (s: string): Uint8Array => Buffer.from(s);
const put = (k: string): RequestOp => create(RequestOpSchema, { request: { case: 'requestPut', value: { key: b(k), value: b('v') } } });
const del = (k: string, end = ''): RequestOp =>
  create(RequestOpSchema, { request: { case: 'requestDeleteRange', value: { key: b(k), rangeEnd: b(end) } } });
const range = (k: string): RequestOp => create(RequestOpSchema, { request: { case: 'requestRange', value: { key: b(k) } } });
const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp =>
  create(RequestOpSchema, { request: { case: 'requestTxn', value: { success, failure } } });

test('put validation: empty key, ignore_value with a value, ignore_lease with a lease', () => {
  assert.throws(() => checkPutRequest(create(PutRequestSchema, {})), /etcdserver: key is not provided/);
  assert.throws(() => checkPutRequest(create(PutRequestSchema, { key: b('k'), value: b('x'), ignoreValue: true })), /value is provided/);
  assert.throws(() => checkPutRequest(create(PutRequestSchema, { key: b('k'), lease: 5n, ignoreLease: true })), /lease is provided/);
  checkPutRequest(create(PutRequestSchema, { key: b('k'), ignoreValue: true }));
});

test('txn op limit counts the largest of compares, success and failure — also the branch not taken', () => {
  const ops = (n: number): RequestOp[] => Array.from({ length: n }, (_, i) => put(`k${i}`));
  checkTxnRequest(create(TxnRequestSchema, { success: ops(128) }), 128);
  assert.throws(() => checkTxnRequest(create(TxnRequestSchema, { failure: ops(129) }), 128), /too many operations in txn request/);
  const cmps = Array.from({ length: 129 }, () => create(CompareSchema, { key: b('a') }));
  assert.throws(() => checkTxnRequest(create(TxnRequestSchema, { compare: cmps }), 128), /too many operations/);
  assert.throws(() => checkTxnRequest(create(TxnRequestSchema, { compare: [create(CompareSchema, {})] }), 128), /key is not provided/);
  assert.throws(() => checkTxnRequest(create(TxnRequestSchema, { success: [create(RequestOpSchema, {})] }), 128), /etcdserver: key not found/);
});

test('duplicate keys: two puts, a put inside a deleted range, nested txns', () => {
  assert.throws(() => checkIntervals([put('a'), put('a')]), /duplicate key given in txn request/);
  assert.throws(() => checkIntervals([put('b'), del('a', 'c')]), /duplicate key/);
  assert.throws(() => checkIntervals([put('a'), del('a')]), /duplicate key/);
  checkIntervals([put('c'), del('a', 'c')]); // range end is exclusive
  checkIntervals([put('a'), put('b')]);
  assert.throws(() => checkIntervals([put('a'), txn([put('a')])]), /duplicate key/);
  // The same key in both branches of a nested txn is fine: only one branch runs.
  checkIntervals([txn([put('a')], [put('a')])]);
  assert.throws(() => checkIntervals([del('a'), txn([put('a')])]), /duplicate key/);
});

test('read-only txn: only plain ranges', () => {
  assert.equal(isTxnReadOnly(create(TxnRequestSchema, { success: [range('a')], failure: [range('b')] })), true);
  assert.equal(isTxnReadOnly(create(TxnRequestSchema, { success: [range('a')], failure: [put('b')] })), false);
  assert.equal(isTxnReadOnly(create(TxnRequestSchema, { success: [txn([range('a')])] })), false);
});
