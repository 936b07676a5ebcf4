// The lessor's errors, with etcd's messages (lease/lessor.go). Clients match on the text the
// server derives from them (ErrLeaseNotFound becomes `etcdserver: requested lease not found`
// on the wire), so the messages are etcd's exactly and each error is its own class for the
// server's mapping.

export class LeaseNotFoundError extends Error {
  constructor() {
    super('lease not found');
    this.name = 'LeaseNotFoundError';
  }
}

export class LeaseExistsError extends Error {
  constructor() {
    super('lease already exists');
    this.name = 'LeaseExistsError';
  }
}

export class LeaseTtlTooLargeError extends Error {
  constructor() {
    super('too large lease TTL');
    this.name = 'LeaseTtlTooLargeError';
  }
}

/**
 * A leader-side call (renew, timeToLive) reached a lessor that is not primary. etcd forwards
 * the request to the leader on this error; it never reaches a client as such.
 */
export class NotPrimaryError extends Error {
  constructor() {
    super('not a primary lessor');
    this.name = 'NotPrimaryError';
  }
}
