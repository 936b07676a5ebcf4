// Errors as etcd's Go client (clientv3 + rpctypes) presents them, so that tsetcdctl can print
// exactly what etcdctl prints and library users can match on etcd's own message strings.
import { Code, ConnectError } from '@connectrpc/connect';

/** gRPC status code names as grpc-go prints them ("rpc error: code = InvalidArgument ..."). */
const CODE_NAMES: Record<number, string> = {
  0: 'OK',
  1: 'Canceled',
  2: 'Unknown',
  3: 'InvalidArgument',
  4: 'DeadlineExceeded',
  5: 'NotFound',
  6: 'AlreadyExists',
  7: 'PermissionDenied',
  8: 'ResourceExhausted',
  9: 'FailedPrecondition',
  10: 'Aborted',
  11: 'OutOfRange',
  12: 'Unimplemented',
  13: 'Internal',
  14: 'Unavailable',
  15: 'DataLoss',
  16: 'Unauthenticated',
};

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

/**
 * The server error descriptions that etcd's client recognises (rpctypes.errStringToError).
 * For these, etcd's client drops the "rpc error: code = ..." wrapper and shows the bare
 * description; every other gRPC error keeps the wrapper. "etcdserver: watch canceled" is
 * deliberately absent: etcd does not map it either.
 */
const KNOWN_SERVER_ERRORS: ReadonlySet<string> = new Set([
  'etcdserver: key is not provided',
  'etcdserver: key not found',
  'etcdserver: value is provided',
  'etcdserver: lease is provided',
  'etcdserver: too many operations in txn request',
  'etcdserver: duplicate key given in txn request',
  'etcdserver: mvcc: required revision has been compacted',
  'etcdserver: mvcc: required revision is a future revision',
  'etcdserver: mvcc: database space exceeded',
  'etcdserver: requested lease not found',
  'etcdserver: lease already exists',
  'etcdserver: too large lease TTL',
  'etcdserver: member ID already exist',
  'etcdserver: Peer URLs already exists',
  'etcdserver: re-configuration failed due to not enough started members',
  'etcdserver: given member URLs are invalid',
  'etcdserver: member not found',
  'etcdserver: can only promote a learner member',
  'etcdserver: can only promote a learner member which is in sync with leader',
  'etcdserver: too many learner members in cluster',
  'etcdserver: request is too large',
  'etcdserver: too many requests',
  'etcdserver: root user does not exist',
  'etcdserver: root user does not have root role',
  'etcdserver: user name already exists',
  'etcdserver: user name is empty',
  'etcdserver: user name not found',
  'etcdserver: role name already exists',
  'etcdserver: role name not found',
  'etcdserver: role name is empty',
  'etcdserver: authentication failed, invalid user ID or password',
  'etcdserver: permission denied',
  'etcdserver: role is not granted to the user',
  'etcdserver: permission is not granted to the role',
  'etcdserver: authentication is not enabled',
  'etcdserver: invalid auth token',
  'etcdserver: invalid auth management',
  'etcdserver: revision of auth store is old',
  'etcdserver: no leader',
  'etcdserver: not leader',
  'etcdserver: leader changed',
  'etcdserver: not capable',
  'etcdserver: server stopped',
  'etcdserver: request timed out',
  'etcdserver: request timed out, possibly due to previous leader failure',
  'etcdserver: request timed out, possibly due to connection lost',
  'etcdserver: request timed out, waiting for the applied index took too long',
  'etcdserver: unhealthy cluster',
  'etcdserver: corrupt cluster',
  'etcdserver: rpc not supported for learner',
  'etcdserver: bad leader transferee',
]);

export type EtcdErrorKind =
  /** The server answered with a gRPC status. */
  | 'server'
  /** The call's deadline (command timeout) passed before any endpoint answered. */
  | 'deadline'
  /** The caller cancelled the call. */
  | 'canceled'
  /** The connection failed while a write was in flight; it may or may not have been applied. */
  | 'transport';

/**
 * One failed call. `message` is what etcd's Go client would return from err.Error():
 * a known etcd description bare ("etcdserver: key is not provided"), other statuses as
 * "rpc error: code = X desc = Y", deadlines as "context deadline exceeded".
 * `grpcMessage` is the "rpc error: ..." form, which etcd logs on every failed attempt.
 */
export class EtcdError extends Error {
  override name = 'EtcdError';
  constructor(
    message: string,
    readonly kind: EtcdErrorKind,
    readonly code: number,
    readonly description: string,
    readonly grpcMessage: string,
  ) {
    super(message);
  }

  /** True when the description is one of etcd's own server errors (ErrCompacted, ...). */
  get isEtcdServerError(): boolean {
    return KNOWN_SERVER_ERRORS.has(this.description);
  }
}

export function rpcErrorString(code: number, desc: string): string {
  return `rpc error: code = ${grpcCodeName(code)} desc = ${desc}`;
}

/** An error the server sent as a gRPC status. */
export function serverError(code: number, desc: string): EtcdError {
  const wrapped = rpcErrorString(code, desc);
  const message = KNOWN_SERVER_ERRORS.has(desc) ? desc : wrapped;
  return new EtcdError(message, 'server', code, desc, wrapped);
}

/** The call ran out of time; etcd's client reports the context's error. */
export function deadlineError(lastCause: string): EtcdError {
  return new EtcdError('context deadline exceeded', 'deadline', Code.DeadlineExceeded, lastCause,
    rpcErrorString(Code.DeadlineExceeded, lastCause));
}

export function canceledError(): EtcdError {
  return new EtcdError('context canceled', 'canceled', Code.Canceled, 'context canceled',
    rpcErrorString(Code.Canceled, 'context canceled'));
}

/** Node socket errors that mean the request never reached a server, so any RPC may be retried. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAI_AGAIN']);

function causeCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur !== null && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies a failure from the transport: did a server answer (a status to show the user),
 * or did we fail to reach one (try again / another endpoint, as grpc-go's wait-for-ready does)?
 */
export type Classified =
  | { reached: true; error: EtcdError }
  /** `maybeSent`: the request may have reached a server (a reset mid-call), so a write must not be repeated. */
  | { reached: false; cause: string; maybeSent: boolean };

export function classify(err: unknown): Classified {
  const code = causeCode(err);
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    return { reached: false, cause: `connection error: ${describe(err)}`, maybeSent: false };
  }
  if (err instanceof ConnectError) {
    // Connect reports transport failures (reset, TLS, protocol) as Unavailable/Internal
    // without a grpc-status header from a server; a real server status always has one.
    const fromServer = err.metadata.get('grpc-status') !== null || err.rawMessage.startsWith('etcdserver:');
    if (!fromServer && (err.code === Code.Unavailable || err.code === Code.Unknown || err.code === Code.Internal)) {
      return { reached: false, cause: `connection error: ${err.rawMessage}`, maybeSent: true };
    }
    return { reached: true, error: serverError(err.code, err.rawMessage) };
  }
  return { reached: false, cause: describe(err), maybeSent: true };
}

function describe(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}
