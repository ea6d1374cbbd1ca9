import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { FailureWindow } from '../failure-window.js';

/** How many failed requests to the OAuth endpoints an address may make, over how long. */
export interface EndpointThrottlePolicy {
  failuresPerAddress: number;
  windowMs: number;
}

/** 100 failures in 5 minutes: far above an honest app’s mistakes, far below what guessing needs. */
export const DEFAULT_ENDPOINT_THROTTLE: EndpointThrottlePolicy = {
  failuresPerAddress: 30,
  windowMs: 5 * 60_000,
};

// The endpoints that take a secret or a code an attacker could guess at.
const THROTTLED_PATHS = new Set([
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/request',
  '/device/auth',
  '/reg',
]);
const ERROR_EVENTS = [
  'grant.error',
  'introspection.error',
  'revocation.error',
  'device_authorization.error',
  'pushed_authorization_request.error',
  'registration_create.error',
] as const;
// A device-flow app polling while the user decides is waiting, not failing.
const NOT_FAILURES = new Set(['authorization_pending', 'slow_down']);

/**
 * Throttles the token, introspection, revocation, PAR, device and registration endpoints per
 * client address, against guessing from one address: each refusal oidc-provider reports
 * (a wrong client secret, a guessed code or refresh token, a bad registration token) counts, and
 * past the policy's limit the address gets 429 with `Retry-After` until its oldest counted
 * failure leaves the window. Successful requests are never limited.
 */
export function endpointThrottle(
  provider: Provider,
  policy: EndpointThrottlePolicy = DEFAULT_ENDPOINT_THROTTLE,
  now: () => number = Date.now,
): Middleware {
  const failures = new FailureWindow(policy.windowMs, now);
  const count = (context: KoaContextWithOIDC, error: Error) => {
    if (!NOT_FAILURES.has((error as { error?: string }).error ?? '')) failures.record(context.ip);
  };
  // Every one of these events has the (context, error) signature of 'grant.error'.
  for (const event of ERROR_EVENTS) provider.on(event as 'grant.error', count);
  return async (context, next) => {
    if (context.method !== 'POST' || !THROTTLED_PATHS.has(context.path)) return next();
    const wait = failures.wait(context.ip, policy.failuresPerAddress);
    if (wait === 0) return next();
    const seconds = Math.ceil(wait / 1000);
    context.status = 429;
    context.set('Retry-After', String(seconds));
    context.set('Cache-Control', 'no-store');
    context.body = {
      error: 'temporarily_unavailable',
      error_description: `Too many failed requests from this address. Retry in ${seconds} seconds.`,
    };
  };
}
