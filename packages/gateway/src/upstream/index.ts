/**
 * The gateway's upstream layer: forwards an authorized, reserved call to the user's provider with
 * the user's key, relays the answer, and reads the usage to settle. See spec Part 5 §5.7 and
 * Part 6 §6.2.1 and §6.5.
 */
export { createUpstream, type Upstream } from './create-upstream.js';
export { destinationFailure, refusedDestinationMessage } from './destination-guard.js';
export type { StreamSink } from './stream-sink.js';
export type { UpstreamCall, UpstreamEndpoint, UpstreamTarget } from './upstream-call.js';
export type { UpstreamFailure, UpstreamFailureKind } from './upstream-failure.js';
export type { UpstreamOptions } from './upstream-options.js';
export { DEFAULT_ANTHROPIC_VERSION } from './upstream-request.js';
export type { StreamResult, UpstreamResult } from './upstream-result.js';
