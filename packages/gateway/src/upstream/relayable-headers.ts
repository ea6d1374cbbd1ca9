import type { IncomingHttpHeaders } from 'node:http';

// An allow-list: a provider's other headers describe the user's account (`openai-organization`,
// rate limits), set cookies, or belong to the hop ([GW-20]).
const RELAYABLE = ['content-type', 'cache-control', 'x-request-id', 'request-id', 'openai-processing-ms'];

/** The provider response headers the gateway may pass on to the app, lower-case. */
export function relayableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const relayable: Record<string, string> = {};
  for (const name of RELAYABLE) {
    const value = headerValue(headers, name);
    if (value !== undefined) relayable[name] = value;
  }
  return relayable;
}

/** One header's value; repeated headers are joined with `, `. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The provider's request id: `x-request-id` (OpenAI family) or `request-id` (Anthropic). */
export function requestIdOf(headers: IncomingHttpHeaders): string | undefined {
  return headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id');
}
