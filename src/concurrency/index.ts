// etcd's concurrency recipes served by the member itself: the v3 Lock and Election services.
export { lock, unlock } from './lock.js';
export { campaign, proclaim, resign, leader, observe } from './election.js';
export { concurrencyServices, observeStream, type ServerStreamCall, type ServerStreamImpl } from './services.js';
export { concurrencyGatewayRoutes, concurrencyGatewayStreams, type ConcurrencyRoute, type ConcurrencyStreamRoute } from './gateway.js';
export { ConcurrencyErrors } from './errors.js';
export { DEFAULT_SESSION_TTL } from './session.js';
export type { RecipeServer } from './server.js';
