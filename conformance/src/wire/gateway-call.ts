import type { DpopKey } from './dpop-key.js';
import { type HttpResponse, send } from './http.js';

/** A token as the app holds it. */
export interface PresentedToken {
  readonly accessToken: string;
  readonly dpopKey?: DpopKey | undefined;
}

/** Options of one gateway call. */
export interface GatewayCallOptions {
  method?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Override the DPoP proof (for negatives); `null` sends none. */
  proof?: string | null;
}

/** Calls `G + path` as the app would: Bearer, or DPoP with a fresh proof when the token is bound. */
export async function callGateway(
  gateway: string,
  path: string,
  token: PresentedToken | null,
  options: GatewayCallOptions = {},
): Promise<HttpResponse> {
  const url = `${gateway}${path}`;
  const method = options.method ?? (options.body === undefined && options.raw === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...options.headers };
  if (token?.dpopKey) {
    headers.authorization = `DPoP ${token.accessToken}`;
    const proof =
      options.proof === undefined
        ? await token.dpopKey.proof(method, url, { accessToken: token.accessToken })
        : options.proof;
    if (proof !== null) headers.dpop = proof;
  } else if (token) {
    headers.authorization = `Bearer ${token.accessToken}`;
  }
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  return send(url, { method, headers, ...(body !== undefined && { body }) });
}

/** The gateway error code of a response (OpenAI or Anthropic shape). */
export function errorCode(response: HttpResponse): string | undefined {
  const error = (response.json as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** A small chat completion the suite sends everywhere. */
export function chatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Say hello.' }],
    max_tokens: 40,
    ...overrides,
  };
}

/** The `: allowance-cost=… remaining=…` comment at the end of a stream, if any. */
export function finalStreamComment(text: string): { cost: string; remaining?: string } | undefined {
  const match = /^: allowance-cost=(\S+)(?: remaining=(\S+))?\s*$/m.exec(text);
  if (!match?.[1]) return undefined;
  return { cost: match[1], ...(match[2] !== undefined && { remaining: match[2] }) };
}
