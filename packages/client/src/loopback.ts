/**
 * Spec [META-1]: a wallet's issuer and gateway use `https`, except that `http` is permitted when
 * the host is a loopback address, which is how a wallet runs as a local agent on the user's
 * machine.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Whether `url` may be used for a wallet: `https`, or, when the app opted in, `http` on a
 * loopback host.
 */
export function isAllowedWalletUrl(url: URL, allowInsecure: boolean): boolean {
  return url.protocol === 'https:' || (allowInsecure && isLoopbackHttp(url));
}

/** Whether requests to `url` need oauth4webapi's `allowInsecureRequests` (plain `http` on loopback). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}
