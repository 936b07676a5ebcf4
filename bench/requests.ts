// Pre-encoded gRPC request frames for the load generator.
//
// Every request a load sends is built here once, before timing starts, as a complete
// gRPC length-prefixed message (1-byte compression flag, 4-byte big-endian length,
// protobuf bytes). The hot loop then only picks a Buffer and writes it: no protobuf
// encoding per request, so the generator's CPU — which shares 2 cores with the server —
// goes to HTTP/2 and nothing else. Both servers get byte-identical requests.
import { create, toBinary } from '@bufbuild/protobuf';
import { PutRequestSchema, RangeRequestSchema } from '../src/gen/etcdserverpb/rpc_pb.js';

/** What one load asks for. Plain data, so it can be posted to a worker thread. */
export type OpSpec =
  | {
      kind: 'put';
      /** Keys are drawn from [0, keySpace). */
      keySpace: number;
      valueSize: number;
      /** random: uniform per client; sequential: each key once, in order (prepopulation). */
      keyOrder: 'random' | 'sequential';
    }
  | {
      kind: 'range';
      keySpace: number;
      /** false = linearizable (goes through the leader's read index), true = local read. */
      serializable: boolean;
    };

export const KEY_SIZE = 8;
/** 'k' + 7 decimal digits: 8 printable bytes, so keys are readable in etcdctl output. */
export const MAX_KEY_SPACE = 10_000_000;

export const KV_PUT_PATH = '/etcdserverpb.KV/Put';
export const KV_RANGE_PATH = '/etcdserverpb.KV/Range';

/** The 8-byte key for index i (0 <= i < MAX_KEY_SPACE). */
export function benchKey(i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_KEY_SPACE) throw new RangeError(`key index out of range: ${i}`);
  return Buffer.from('k' + String(i).padStart(KEY_SIZE - 1, '0'), 'latin1');
}

/** A fixed, non-repeating-looking value, so neither server gains from compressible data. */
export function benchValue(size: number): Uint8Array {
  const v = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = 0x21 + ((x >>> 0) % 94); // printable ASCII
  }
  return v;
}

/** Wraps protobuf bytes in a gRPC message frame (uncompressed). */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export interface EncodedOp {
  path: string;
  /** frames[i] is the request for key index i. */
  frames: Buffer[];
}

/** Encodes one frame per key in the key space. */
export function encodeOp(op: OpSpec): EncodedOp {
  if (!Number.isInteger(op.keySpace) || op.keySpace < 1 || op.keySpace > MAX_KEY_SPACE) {
    throw new RangeError(`keySpace must be an integer in [1, ${MAX_KEY_SPACE}]: ${op.keySpace}`);
  }
  const frames = new Array<Buffer>(op.keySpace);
  if (op.kind === 'put') {
    const value = benchValue(op.valueSize);
    for (let i = 0; i < op.keySpace; i++) {
      frames[i] = grpcFrame(toBinary(PutRequestSchema, create(PutRequestSchema, { key: benchKey(i), value })));
    }
    return { path: KV_PUT_PATH, frames };
  }
  for (let i = 0; i < op.keySpace; i++) {
    const req = create(RangeRequestSchema, { key: benchKey(i), serializable: op.serializable });
    frames[i] = grpcFrame(toBinary(RangeRequestSchema, req));
  }
  return { path: KV_RANGE_PATH, frames };
}
