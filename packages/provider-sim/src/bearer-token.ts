import type { IncomingMessage } from 'node:http';

/** The token of an `Authorization: Bearer <token>` header, or `undefined` when there is none. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1]?.trim();
}
