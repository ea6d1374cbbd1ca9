import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiFamily } from '@allowance/protocol';
import { GatewayError } from './gateway-error.js';
import { MAX_NESTING_DEPTH, nestedDeeperThan } from './json-nesting.js';
import { readLimited } from './read-limited.js';

/**
 * Reads a JSON body of at most `limit` bytes (spec GW-6: 413 past it; GW-7: 400 `invalid_json`
 * when it does not parse, 400 `invalid_request` when it nests deeper than
 * {@link MAX_NESTING_DEPTH}, checked before parsing). Stops reading as soon as the limit is passed.
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new GatewayError('request_too_large', `The body is over ${limit} bytes.`);
  const { chunks, overflow } = await readLimited(request, limit);
  if (overflow) throw new GatewayError('request_too_large', `The body is over ${limit} bytes.`);
  const bytes = Buffer.concat(chunks);
  if (nestedDeeperThan(bytes)) {
    throw new GatewayError(
      'invalid_request',
      `The body nests arrays and objects deeper than ${MAX_NESTING_DEPTH} levels.`,
    );
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError('invalid_json', 'The body is not valid JSON.');
  }
}

/** How a refusal's challenge must look (spec GW-25, GW-26). */
export interface ChallengeContext {
  resourceMetadataUrl: string;
  /** The request used the DPoP scheme, or the token is DPoP-bound. */
  dpop: boolean;
}

// RFC 6750 §3: error_description may hold only %x20-21 / %x23-5B / %x5D-7E; anything else
// (a typographic apostrophe, a quote) is dropped rather than make Node refuse the header.
const quoted = (value: string) => `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;

/** Writes a refusal: the family's error body, its status, and on 401 the WWW-Authenticate challenges. */
export function sendError(
  response: ServerResponse,
  family: ApiFamily,
  error: GatewayError,
  challenge: ChallengeContext,
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    ...error.options.headers,
  };
  if (error.status === 401) {
    const description = `error_description=${quoted(error.message)}`;
    const bearerError = error.code === 'token_required' ? '' : `error="invalid_token", ${description}, `;
    const challenges = [
      `Bearer realm="allowance", ${bearerError}resource_metadata=${quoted(challenge.resourceMetadataUrl)}`,
    ];
    const dpopCode =
      error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce' ? error.code : undefined;
    if (challenge.dpop || dpopCode) {
      const dpopError = dpopCode ? `error="${dpopCode}", ${description}, ` : bearerError;
      challenges.push(
        `DPoP realm="allowance", ${dpopError}algs="ES256 EdDSA", resource_metadata=${quoted(challenge.resourceMetadataUrl)}`,
      );
    }
    headers['www-authenticate'] = challenges;
  }
  response.writeHead(error.status, headers);
  response.end(JSON.stringify(error.body(family)));
}

/** Writes a JSON success. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Any failure as a GatewayError: unexpected ones become 500 `internal_error`, never a stack trace. */
export function asGatewayError(error: unknown): GatewayError {
  return error instanceof GatewayError
    ? error
    : new GatewayError(
        'internal_error',
        'The gateway failed on this request; nothing was billed. Try again.',
      );
}
