import type { ApiFamily } from '@allowance/protocol';
import type { UpstreamCall, UpstreamEndpoint } from './upstream-call.js';

/** The `anthropic-version` sent when the app sent none ([Part 5 §5.7]). */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** Each endpoint's API family and path below the provider's base URL. */
const ENDPOINTS: Readonly<Record<UpstreamEndpoint, { api: ApiFamily; path: string }>> = {
  'chat.completions': { api: 'openai', path: '/chat/completions' },
  embeddings: { api: 'openai', path: '/embeddings' },
  messages: { api: 'anthropic', path: '/v1/messages' },
  'messages.count_tokens': { api: 'anthropic', path: '/v1/messages/count_tokens' },
};

// Headers the caller may not pass through: the app's credentials and the wallet's own
// ([GW-17]), what only the HTTP client decides (framing, connection, encoding), and what this
// module sets itself.
const WITHHELD_HEADERS = new Set([
  'authorization',
  'x-api-key',
  'dpop',
  'cookie',
  'proxy-authorization',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'transfer-encoding',
  'content-length',
  'content-type',
  'content-encoding',
  'accept',
  'accept-encoding',
  'expect',
]);

/** What undici needs to send one call. */
export interface UpstreamRequest {
  /** `scheme://host:port` of the provider; the only place the key is sent. */
  origin: string;
  /** Path and query below the origin. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Builds the provider request for `call`: URL from the configured base URL and the endpoint
 * (never from anything the app sent, [SEC-8]), the provider credential in the family's header,
 * pass-through headers minus the withheld ones, and the JSON body.
 *
 * @throws {TypeError} when the endpoint does not belong to the target's API family or the base
 *   URL is not an `http(s)` URL without credentials: the pipeline and the wallet configuration
 *   rule both out, so either is a bug.
 */
export function buildUpstreamRequest(call: UpstreamCall, accept: string): UpstreamRequest {
  const { target } = call;
  const endpoint = ENDPOINTS[call.endpoint];
  if (endpoint.api !== target.api) {
    throw new TypeError(`Endpoint ${call.endpoint} is not served by the ${target.api} API family`);
  }
  const base = parseBaseUrl(target.baseUrl, target.providerId);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    const lowerName = name.toLowerCase();
    if (!WITHHELD_HEADERS.has(lowerName) && !lowerName.startsWith('allowance-')) headers[lowerName] = value;
  }
  headers['content-type'] = 'application/json';
  headers.accept = accept;
  // Bodies are relayed as they come; a compressed one could be neither parsed nor relayed.
  headers['accept-encoding'] = 'identity';
  if (target.api === 'openai') {
    headers.authorization = `Bearer ${target.apiKey}`;
  } else {
    headers['x-api-key'] = target.apiKey;
    headers['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
  }
  return {
    origin: base.origin,
    path: `${base.pathname.replace(/\/+$/, '')}${endpoint.path}${base.search}`,
    headers,
    body: JSON.stringify(call.body),
  };
}

function parseBaseUrl(baseUrl: string, providerId: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`Provider "${providerId}" has an invalid base URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`Provider "${providerId}" has a base URL that is not http(s)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`Provider "${providerId}" has a base URL with credentials in it`);
  }
  return url;
}
