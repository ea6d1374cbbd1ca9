import type { Readable } from 'node:stream';
import { readLimited } from '../read-limited.js';

/** A response body read into memory, up to a limit. */
export interface BodyBytes {
  bytes: Buffer;
  /** Whether the body was longer than the limit; `bytes` then holds its first `limit` bytes. */
  truncated: boolean;
}

/**
 * Reads `body` up to `limit` bytes. A longer body is cut there and destroyed, which closes the
 * connection rather than reading bytes nobody will use.
 *
 * @throws whatever the body stream throws (network errors, timeouts, aborts), for the caller to
 *   classify.
 */
export async function readBody(body: Readable, limit: number): Promise<BodyBytes> {
  const { chunks, overflow } = await readLimited(body, limit);
  if (overflow) discardBody(body);
  return { bytes: Buffer.concat(chunks), truncated: overflow };
}

/**
 * Stops reading a response body and lets its connection go. undici reports destroying a body
 * early as an error event, which must not become an uncaught exception.
 */
export function discardBody(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
