import type { Context } from 'koa';
import type { z } from 'zod';
import { invalidRequest, OperatorError } from './operator-errors.js';

/** Reads a JSON body of at most `limit` bytes and validates it; a bad one is 400 `invalid_request`. */
export async function readJson<T extends z.ZodType>(
  context: Context,
  schema: T,
  limit = 64 * 1024,
): Promise<z.output<T>> {
  if (!context.is('application/json')) throw new OperatorError(415, 'invalid_request', 'Send JSON.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of context.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new OperatorError(413, 'invalid_request', 'The body is too large.');
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw invalidRequest('The body is not JSON.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw invalidRequest(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}
