import type { IncomingMessage } from 'node:http';
import { addressAllowed } from '@allowance/protocol';

/**
 * The address a call comes from. `X-Forwarded-For` is believed only when the connection comes
 * from a configured trusted proxy (none by default), and then read from the right: the first
 * address that is not itself a trusted proxy is the client, so a client cannot choose its own
 * address by sending the header.
 */
export function clientAddress(request: IncomingMessage, trustedProxies: readonly string[]): string {
  const remote = request.socket.remoteAddress ?? '';
  if (trustedProxies.length === 0 || !addressAllowed(remote, trustedProxies)) return remote;
  const header = request.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  for (let index = chain.length - 1; index >= 0; index -= 1) {
    const hop = chain[index] ?? '';
    if (!addressAllowed(hop, trustedProxies)) return hop;
  }
  return chain[0] ?? remote;
}
