import type { IncomingMessage } from 'node:http';
import { invalidRequest, ProviderError } from './provider-error.js';

/**
 * Reads a request body of at most `maxBytes` bytes.
 *
 * @throws {ProviderError} 413 when the body is larger than `maxBytes`.
 * @throws the stream's error when the client goes away mid-body.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      throw new ProviderError({ status: 413, message: `Request body exceeds ${maxBytes} bytes.` });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON request body.
 *
 * @throws {ProviderError} 400 with `malformedMessage` when the body is empty or not JSON.
 */
export function parseJsonBody(body: Buffer, malformedMessage: string): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw invalidRequest(malformedMessage);
  }
}
