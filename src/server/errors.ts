// etcd's client-visible errors: the gRPC status code and the exact message string.
// Clients (etcdctl, client-go, kube-apiserver) match on these strings, so they are part of the API.
// The codes are gRPC's standard numeric status codes; api/ turns an EtcdError into a gRPC status.

export const GrpcCode = {
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

export class EtcdError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const C = GrpcCode;
function def(code: GrpcCode, message: string): () => EtcdError {
  return () => new EtcdError(code, message);
}

/** Factories, so every throw gets a fresh stack; names follow etcd's rpctypes. */
export const Errors = {
  emptyKey: def(C.InvalidArgument, 'etcdserver: key is not provided'),
  keyNotFound: def(C.InvalidArgument, 'etcdserver: key not found'),
  valueProvided: def(C.InvalidArgument, 'etcdserver: value is provided'),
  leaseProvided: def(C.InvalidArgument, 'etcdserver: lease is provided'),
  tooManyOps: def(C.InvalidArgument, 'etcdserver: too many operations in txn request'),
  duplicateKey: def(C.InvalidArgument, 'etcdserver: duplicate key given in txn request'),
  compacted: def(C.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: def(C.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: def(C.ResourceExhausted, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: def(C.NotFound, 'etcdserver: requested lease not found'),
  leaseExist: def(C.FailedPrecondition, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: def(C.OutOfRange, 'etcdserver: too large lease TTL'),
  watchCanceled: def(C.Canceled, 'etcdserver: watch canceled'),
  memberExist: def(C.FailedPrecondition, 'etcdserver: member ID already exist'),
  peerURLExist: def(C.FailedPrecondition, 'etcdserver: Peer URLs already exists'),
  memberNotEnoughStarted: def(C.FailedPrecondition, 'etcdserver: re-configuration failed due to not enough started members'),
  memberBadURLs: def(C.InvalidArgument, 'etcdserver: given member URLs are invalid'),
  memberNotFound: def(C.NotFound, 'etcdserver: member not found'),
  memberNotLearner: def(C.FailedPrecondition, 'etcdserver: can only promote a learner member'),
  learnerNotReady: def(C.FailedPrecondition, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: def(C.FailedPrecondition, 'etcdserver: too many learner members in cluster'),
  requestTooLarge: def(C.InvalidArgument, 'etcdserver: request is too large'),
  tooManyRequests: def(C.ResourceExhausted, 'etcdserver: too many requests'),
  rootUserNotExist: def(C.FailedPrecondition, 'etcdserver: root user does not exist'),
  rootRoleNotExist: def(C.FailedPrecondition, 'etcdserver: root user does not have root role'),
  userAlreadyExist: def(C.FailedPrecondition, 'etcdserver: user name already exists'),
  userEmpty: def(C.InvalidArgument, 'etcdserver: user name is empty'),
  userNotFound: def(C.FailedPrecondition, 'etcdserver: user name not found'),
  roleAlreadyExist: def(C.FailedPrecondition, 'etcdserver: role name already exists'),
  roleNotFound: def(C.FailedPrecondition, 'etcdserver: role name not found'),
  roleEmpty: def(C.InvalidArgument, 'etcdserver: role name is empty'),
  authFailed: def(C.InvalidArgument, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionDenied: def(C.PermissionDenied, 'etcdserver: permission denied'),
  roleNotGranted: def(C.FailedPrecondition, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: def(C.FailedPrecondition, 'etcdserver: permission is not granted to the role'),
  authNotEnabled: def(C.FailedPrecondition, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: def(C.Unauthenticated, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: def(C.InvalidArgument, 'etcdserver: invalid auth management'),
  noLeader: def(C.Unavailable, 'etcdserver: no leader'),
  notLeader: def(C.FailedPrecondition, 'etcdserver: not leader'),
  leaderChanged: def(C.Unavailable, 'etcdserver: leader changed'),
  notCapable: def(C.Unavailable, 'etcdserver: not capable'),
  stopped: def(C.Unavailable, 'etcdserver: server stopped'),
  timeout: def(C.Unavailable, 'etcdserver: request timed out'),
  timeoutDueToLeaderFail: def(C.Unavailable, 'etcdserver: request timed out, possibly due to previous leader failure'),
  unhealthy: def(C.Unavailable, 'etcdserver: unhealthy cluster'),
  corrupt: def(C.DataLoss, 'etcdserver: corrupt cluster'),
  notSupportedForLearner: def(C.Unavailable, 'etcdserver: rpc not supported for learner'),
  badLeaderTransferee: def(C.FailedPrecondition, 'etcdserver: bad leader transferee'),
} as const;
