import type { Context } from 'koa';

/** A submitted form: every value of every field, in order. */
export type Form = URLSearchParams;

/** The body was too large or not a form. */
export class FormError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes. Only the wallet's
 * own pages call this; oidc-provider's routes read their bodies themselves.
 */
export async function readForm(context: Context, limit = 64 * 1024): Promise<Form> {
  if (!context.is('application/x-www-form-urlencoded'))
    throw new FormError(415, 'Expected a submitted form.');
  const declared = Number(context.get('content-length') || 0);
  if (declared > limit) throw new FormError(413, 'The form is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of context.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new FormError(413, 'The form is too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
