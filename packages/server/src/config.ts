import {
  anomalyPolicySchema,
  currencyCode,
  DEFAULT_ANOMALY_POLICY,
  timeZoneSchema,
} from '@allowance/protocol';
import { z } from 'zod';

/** A client the wallet knows from its configuration rather than from dynamic registration. */
export const staticClientSchema = z.object({
  client_id: z.string().min(1),
  client_name: z.string().min(1),
  /** Public clients (browser and native apps) have none. */
  client_secret: z.string().min(16).optional(),
  redirect_uris: z.array(z.url()).default([]),
  grant_types: z
    .array(z.enum(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']))
    .default(['authorization_code', 'refresh_token']),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).optional(),
  logo_uri: z.url().optional(),
  /** Tokens must be DPoP-bound (RFC 9449). */
  dpop_bound_access_tokens: z.boolean().optional(),
  application_type: z.enum(['web', 'native']).optional(),
});

/** A statically configured client. */
export type StaticClient = z.infer<typeof staticClientSchema>;

/**
 * Every option of the authorization server, with its default. Validated once at start-up;
 * a bad option fails with its dotted path.
 */
export const serverConfigSchema = z.object({
  /** The issuer identifier: the wallet's public origin, no trailing slash. */
  issuer: z
    .url()
    .refine((value) => !value.endsWith('/'), 'must not end with a slash')
    .default('http://localhost:8080'),
  /** The gateway's base URL, also the RFC 8707 resource and the token audience. Default `{issuer}/gateway`. */
  gateway: z.url().optional(),
  /** The wallet's currency; every budget is in it. */
  currency: currencyCode.default('USD'),
  /** The time zone periods are counted in, unless an account sets its own. */
  timeZone: timeZoneSchema.default('UTC'),
  /** Access token lifetime in seconds (RFC 9068 tokens cannot be revoked, so keep it short). */
  accessTokenSeconds: z.number().int().min(30).max(600).default(300),
  /** Refresh token lifetime in seconds. */
  refreshTokenSeconds: z
    .number()
    .int()
    .min(60)
    .default(30 * 86_400),
  /** The longest a grant may live; also the expiry given when an app asks for none. */
  maxGrantSeconds: z
    .number()
    .int()
    .min(60)
    .default(90 * 86_400),
  /**
   * The gateway's reservation deadline (spec MTR-26), published in the metadata as
   * `allowance.reservation_deadline_seconds`; the wallet passes the gateway's own setting.
   */
  reservationDeadlineSeconds: z.number().int().positive().default(600),
  /** Clients from configuration. */
  clients: z.array(staticClientSchema).default([]),
  /** Bearer token that gates RFC 7591 dynamic registration; registration is off without it. */
  registrationToken: z.string().min(16).optional(),
  /** Secrets that sign cookies, newest first. Generated and kept in the data directory when absent. */
  cookieKeys: z.array(z.string().min(32)).min(1).optional(),
  /**
   * Wallet policy (spec DPOP-3): public clients (browser and native apps, which cannot keep a
   * secret) must bind their tokens to a DPoP key. A stolen token or refresh token is then
   * useless without the app's private key. Turn off only for apps that cannot do DPoP yet.
   */
  requireDpopForPublicClients: z.boolean().default(true),
  /** Ask token-endpoint DPoP proofs for a server nonce (RFC 9449 §8, spec DPOP-5). Off by default. */
  requireDpopNonce: z.boolean().default(false),
  /** Trust X-Forwarded-* headers (behind a TLS-terminating proxy only). */
  trustProxy: z.boolean().default(false),
  /** How long a signed-in browser session lasts, in seconds. */
  sessionSeconds: z.number().int().min(60).default(86_400),
  /**
   * The thresholds that suspend a grant (spec SEC-4) for owners who set none in settings: the
   * same as the gateway's, so the dashboard shows what the gateway enforces.
   */
  anomalyPolicy: anomalyPolicySchema.default({ ...DEFAULT_ANOMALY_POLICY }),
  /**
   * Test mode only: the operator HTTP interface the conformance suite drives the wallet through
   * (spec 8.2, conformance/OPERATOR.md), on its own listener bound to 127.0.0.1. Off when absent.
   */
  operatorInterface: z
    .object({
      /** The loopback port it listens on (0: any free port). */
      port: z.number().int().min(0).max(65_535),
      /** The bearer token every request must carry. */
      token: z.string().min(32, 'the operator token must be at least 32 characters'),
    })
    .optional(),
});

/** The authorization server's options as given. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/** The authorization server's options, validated and with defaults applied. */
export type ServerConfig = Readonly<z.output<typeof serverConfigSchema> & { gateway: string }>;

/** Validates options once; throws an error naming every bad option by its dotted path. */
export function resolveServerConfig(input: ServerConfigInput): ServerConfig {
  const parsed = serverConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`Invalid server configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({ ...parsed.data, gateway: parsed.data.gateway ?? `${parsed.data.issuer}/gateway` });
}
