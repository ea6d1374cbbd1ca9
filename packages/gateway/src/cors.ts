/**
 * The CORS headers of every gateway answer (spec GW-2). Browser apps call the gateway directly;
 * it authenticates by header only, never by cookie, so allowing every origin exposes nothing.
 */
export const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers':
    'authorization, content-type, dpop, x-api-key, anthropic-version, anthropic-beta, allowance-provider, allowance-confirmation',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-expose-headers':
    'allowance-cost, allowance-remaining, allowance-currency, allowance-call, www-authenticate, dpop-nonce, retry-after',
  'access-control-max-age': '600',
};

/**
 * A preflight's headers (spec GW-2): every header the browser asks about is allowed, since the
 * gateway authenticates by header only and never by cookie; the names must be header tokens.
 */
export function preflightHeaders(requested: string | undefined): Record<string, string> {
  const names = (requested ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name));
  const allowed = new Set([...CORS['access-control-allow-headers'].split(', '), ...names]);
  return { ...CORS, 'access-control-allow-headers': [...allowed].join(', ') };
}
