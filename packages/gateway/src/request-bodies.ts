import { z } from 'zod';
import { GatewayError } from './gateway-error.js';
import type { MeteredEndpoint } from './plan-call.js';

// Only what the gateway reads is checked; every other member passes through to the provider
// unchanged, so the gateway does not fall behind the providers' APIs.
const model = z.string().min(1).max(256);
const count = z.number().int().positive().max(10_000_000);
/**
 * A non-empty array of objects with a non-empty string `role`, checked in one loop that copies
 * nothing: a schema per message copies each one, which for 100 000 tiny messages takes several
 * times as long as parsing the body (BENCHMARKS.md "Adversarial bodies").
 */
const messages = z
  .array(z.unknown())
  .min(1)
  .superRefine((items, context) => {
    for (let index = 0; index < items.length; index += 1) {
      const item = items[index];
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        context.addIssue({ code: 'custom', message: 'Invalid input: expected object', path: [index] });
        return;
      }
      const role = (item as { role?: unknown }).role;
      if (typeof role !== 'string' || role.length === 0) {
        context.addIssue({
          code: 'custom',
          message: 'Invalid input: expected a non-empty string',
          path: [index, 'role'],
        });
        return;
      }
    }
  });

const bodies = {
  'chat.completions': z.looseObject({
    model,
    messages,
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: count.nullish(),
    max_completion_tokens: count.nullish(),
    n: z.number().int().min(1).max(16).nullish(),
  }),
  embeddings: z.looseObject({
    model,
    input: z.union([
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int())).min(1),
    ]),
  }),
  messages: z.looseObject({
    model,
    messages,
    stream: z.boolean().optional(),
    max_tokens: count.optional(),
  }),
  count_tokens: z.looseObject({ model, messages }),
} as const;

/** Checks a request body's shape for its endpoint; refuses with 400 `invalid_request` naming the field. */
export function validateRequestBody(
  endpoint: MeteredEndpoint | 'count_tokens',
  body: unknown,
): Record<string, unknown> {
  const parsed = bodies[endpoint].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new GatewayError('invalid_request', `${field}: ${issue?.message ?? 'invalid'}`, {
      extras: { param: issue?.path.join('.') ?? null },
    });
  }
  // nullish output caps mean "none"; drop them so the cap logic sees absence.
  const value = { ...parsed.data } as Record<string, unknown>;
  for (const key of ['max_tokens', 'max_completion_tokens', 'n', 'stream_options'])
    if (value[key] === null) delete value[key];
  return value;
}
