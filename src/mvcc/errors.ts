// mvcc's errors, with etcd's exact messages: the server maps them to gRPC statuses and prefixes
// "etcdserver: ", and clients match on the text.

export class MvccError extends Error {}

export class ErrCompacted extends MvccError {
  constructor() {
    super('mvcc: required revision has been compacted');
    this.name = 'ErrCompacted';
  }
}

export class ErrFutureRev extends MvccError {
  constructor() {
    super('mvcc: required revision is a future revision');
    this.name = 'ErrFutureRev';
  }
}

/** The store was closed, or must be reopened after an aborted batch could not be rolled back. */
export class ErrClosed extends MvccError {
  constructor(what = 'mvcc: store is closed') {
    super(what);
    this.name = 'ErrClosed';
  }
}
