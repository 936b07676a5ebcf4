// Public surface of the tsetcd client library.
export { EtcdClient, type ClientOptions, type CallOptions, type TlsOptions, type FailedAttempt } from './client.js';
export { EtcdError, grpcCodeName, rpcErrorString, type EtcdErrorKind } from './errors.js';
export { parseEndpoint, type Endpoint } from './endpoints.js';
export { prefixEnd, bytes, FROM_KEY_END, ALL_KEYS } from './ops.js';
export { PeerURLError, checkPeerURLs } from './urls.js';
