import { toJSONSchema, type z } from 'zod';
import { aiAllowanceSchema, approvedAiAllowanceSchema } from './allowance-details.js';
import { allowanceStatusSchema } from './allowance-status.js';
import { anthropicErrorBodySchema, openAiErrorBodySchema } from './errors.js';
import { authorizationServerMetadataSchema, protectedResourceMetadataSchema } from './metadata.js';
import { priceTableSchema } from './prices.js';
import { accessTokenClaimsSchema } from './token-claims.js';

/**
 * The documents the spec publishes as JSON Schema (`spec/schema/<name>.schema.json`), each
 * generated from its zod schema here, with the examples in `spec/examples/<name>*.json`
 * validated against it. A new wire document is added here and nowhere else.
 */
export const JSON_SCHEMAS: Readonly<Record<string, { title: string; schema: z.ZodType }>> = {
  'ai-allowance': {
    title: 'An ai_allowance authorization details entry, as requested',
    schema: aiAllowanceSchema,
  },
  'ai-allowance-approved': {
    title: 'An approved ai_allowance, as carried in tokens',
    schema: approvedAiAllowanceSchema,
  },
  'access-token-claims': {
    title: 'Claims of an Allowance access token (RFC 9068 profile)',
    schema: accessTokenClaimsSchema,
  },
  'authorization-server-metadata': {
    title: 'RFC 8414 metadata of an Allowance authorization server',
    schema: authorizationServerMetadataSchema,
  },
  'protected-resource-metadata': {
    title: 'RFC 9728 metadata of an Allowance gateway',
    schema: protectedResourceMetadataSchema,
  },
  'allowance-status': { title: 'Response of GET /v1/allowance', schema: allowanceStatusSchema },
  'price-table': { title: 'A wallet price table', schema: priceTableSchema },
  'error-openai': {
    title: 'A gateway error on the OpenAI-compatible endpoints',
    schema: openAiErrorBodySchema,
  },
  'error-anthropic': {
    title: 'A gateway error on the Anthropic-compatible endpoints',
    schema: anthropicErrorBodySchema,
  },
};

/**
 * The JSON Schema (draft 2020-12) of a published document. Refinements zod cannot express in
 * JSON Schema (uniqueness of list items, one limit per period, known time zones) are enforced
 * by the zod schemas only; the spec states them in prose.
 */
export function jsonSchemaDocument(name: string): Record<string, unknown> {
  const entry = JSON_SCHEMAS[name];
  if (!entry) throw new RangeError(`no published schema named ${name}`);
  return { title: entry.title, ...toJSONSchema(entry.schema, { io: 'input', target: 'draft-2020-12' }) };
}
