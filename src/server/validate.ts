// Request checks done before a request is proposed, as etcd's v3rpc layer does (key.go).
// They reject malformed requests with etcd's exact errors and never touch the store.
import type {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../gen/etcdserverpb/rpc_pb.js';
import { Errors } from './errors.js';

export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
  if (r.ignoreValue && r.value.length !== 0) throw Errors.valueProvided();
  if (r.ignoreLease && r.lease !== 0n) throw Errors.leaseProvided();
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
}

/**
 * etcd counts the largest of (compares, success ops, failure ops) against --max-txn-ops, and a nested
 * txn gets the remaining budget. Both branches are checked, also the one that will not be taken.
 */
export function checkTxnRequest(r: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) throw Errors.tooManyOps();
  for (const c of r.compare) if (c.key.length === 0) throw Errors.emptyKey();
  for (const op of r.success) checkRequestOp(op, maxTxnOps - opc);
  for (const op of r.failure) checkRequestOp(op, maxTxnOps - opc);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  const req = op.request;
  switch (req.case) {
    case 'requestRange':
      return checkRangeRequest(req.value);
    case 'requestPut':
      return checkPutRequest(req.value);
    case 'requestDeleteRange':
      return checkDeleteRequest(req.value);
    case 'requestTxn':
      return checkTxnRequest(req.value, maxTxnOps);
    default:
      // etcd answers an empty RequestOp with this (odd but observable) error.
      throw Errors.keyNotFound();
  }
}

// ---- duplicate-key rule: a txn branch may not put a key twice, nor put a key it deletes ----

/** A key interval as etcd's adt "string affine" interval: an empty end means +infinity. */
interface Interval {
  begin: Buffer;
  end: Buffer | null; // null: a single key (point)
}

function intersectsPoint(dels: readonly Interval[], k: Buffer): boolean {
  for (const d of dels) {
    if (d.end === null) {
      if (d.begin.equals(k)) return true;
      continue;
    }
    if (Buffer.compare(d.begin, k) > 0) continue;
    // "" sorts after every key in etcd's affine comparison.
    if (d.end.length === 0 || Buffer.compare(k, d.end) < 0) return true;
  }
  return false;
}

function keyOf(b: Uint8Array): string {
  // latin1 maps each byte to one code unit: a lossless map key for raw bytes.
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Returns the puts and deletes of a branch; throws duplicateKey on a conflict (etcd's checkIntervals). */
export function checkIntervals(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of reqs) {
    if (op.request.case !== 'requestDeleteRange') continue;
    const d = op.request.value;
    dels.push({ begin: asBuffer(d.key), end: d.rangeEnd.length !== 0 ? asBuffer(d.rangeEnd) : null });
  }
  const puts = new Set<string>();
  for (const op of reqs) {
    if (op.request.case !== 'requestTxn') continue;
    const t = op.request.value;
    const thenBranch = checkIntervals(t.success);
    const elseBranch = checkIntervals(t.failure);
    for (const k of thenBranch.puts) {
      if (puts.has(k) || intersectsPoint(dels, Buffer.from(k, 'latin1'))) throw Errors.duplicateKey();
      puts.add(k);
    }
    for (const k of elseBranch.puts) {
      if (puts.has(k) && !thenBranch.puts.has(k)) throw Errors.duplicateKey();
      if (intersectsPoint(dels, Buffer.from(k, 'latin1'))) throw Errors.duplicateKey();
      puts.add(k);
    }
    dels.push(...thenBranch.dels, ...elseBranch.dels);
  }
  for (const op of reqs) {
    if (op.request.case !== 'requestPut') continue;
    const k = keyOf(op.request.value.key);
    if (puts.has(k) || intersectsPoint(dels, asBuffer(op.request.value.key))) throw Errors.duplicateKey();
    puts.add(k);
  }
  return { puts, dels };
}

/** As etcd's isTxnReadonly: only plain ranges count as read-only (a nested txn does not). */
export function isTxnReadOnly(r: TxnRequest): boolean {
  const ro = (ops: readonly RequestOp[]): boolean => ops.every((op) => op.request.case === 'requestRange');
  return ro(r.success) && ro(r.failure);
}
