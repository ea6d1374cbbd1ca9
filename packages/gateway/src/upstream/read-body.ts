import type { Readable } from 'node:stream';

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
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    if (length + bytes.length > limit) {
      chunks.push(bytes.subarray(0, limit - length));
      discardBody(body);
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(bytes);
    length += bytes.length;
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/**
 * Stops reading a response body and lets its connection go. undici reports destroying a body
 * early as an error event, which must not become an uncaught exception.
 */
export function discardBody(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
