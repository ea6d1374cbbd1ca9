import type { KoaContextWithOIDC } from 'oidc-provider';

/** Seconds a device-flow app waits between polls (RFC 8628 §3.2's default). */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Polls are remembered a little longer than a device code lives (10 minutes). */
const REMEMBER_MS = 15 * 60_000;

/**
 * The polling half of the device grant that oidc-provider leaves to the server (spec AUTH-25,
 * AUTH-27): the device authorization response says how often to poll, and a poll that comes
 * sooner than that after the previous one, while the user has not decided, is answered
 * `slow_down` rather than `authorization_pending`. Nothing is consumed by a pending poll, so
 * rewriting its answer is safe. In memory: a wallet runs one authorization server process.
 */
export function devicePolling(now: () => number = Date.now) {
  const lastPoll = new Map<string, number>();
  const forgetOld = (at: number) => {
    for (const [code, time] of lastPoll) {
      if (at - time < REMEMBER_MS) break;
      lastPoll.delete(code);
    }
  };
  return async (context: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    const route = context.oidc?.route;
    const body = context.body as Record<string, unknown> | undefined;
    if (route === 'device_authorization' && typeof body?.device_code === 'string') {
      body.interval ??= DEVICE_POLL_INTERVAL_SECONDS;
      return;
    }
    if (route !== 'token' || context.oidc.params?.grant_type !== DEVICE_GRANT) return;
    if (body?.error !== 'authorization_pending') return;
    const code = String(context.oidc.params.device_code);
    const at = now();
    const previous = lastPoll.get(code);
    // Re-inserting keeps the map in order of last poll, so the oldest entries come first.
    lastPoll.delete(code);
    lastPoll.set(code, at);
    forgetOld(at);
    if (previous !== undefined && at - previous < DEVICE_POLL_INTERVAL_SECONDS * 1000) {
      context.body = {
        error: 'slow_down',
        error_description: `Poll at most every ${DEVICE_POLL_INTERVAL_SECONDS} seconds; wait 5 seconds more from now on.`,
      };
    }
  };
}
