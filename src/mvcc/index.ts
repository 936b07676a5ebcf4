export { MvccStore, type ReadView, type HashKVResult, type StoreOptions } from './store.js';
export { WriteTxn, type TxnResult } from './write_txn.js';
export type { RangeOptions, RangeResult } from './reader.js';
export { ErrCompacted, ErrFutureRev, ErrClosed, MvccError } from './errors.js';
export { encodeKv, decodeKv, type Kv } from './kv_codec.js';
export { revToBytes, isTombstoneRow, rowMain, rowSub, type Revision } from './revision.js';
export type { HistoryOptions } from './history.js';
