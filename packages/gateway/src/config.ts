import { DEFAULT_ANOMALY_POLICY } from '@allowance/protocol';
import { z } from 'zod';

/** Every option of the gateway, with its default; validated once at start-up, then frozen. */
export const gatewayConfigSchema = z.object({
  /** The gateway's public base URL: the RFC 8707 resource and the token audience (`G`). */
  resource: z.url().refine((value) => !value.endsWith('/'), 'must not end with a slash'),
  /** The authorization server's issuer identifier, whose JWKS signs the access tokens. */
  issuer: z.url(),
  /** Where to fetch the issuer's keys; default `{issuer}/jwks`. */
  jwksUri: z.url().optional(),
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Output cap sent upstream when neither the app nor the grant sets one. */
  defaultMaxOutputTokens: z.number().int().positive().default(4096),
  /** After how long an unsettled reservation counts as orphaned by a crash. */
  reservationDeadlineSeconds: z.number().int().positive().default(600),
  /**
   * How long a human confirmation stays usable after it is offered (spec MTR-29: at most 15
   * minutes; 10 by default).
   */
  confirmationLifetimeSeconds: z.number().int().positive().max(900).default(600),
  /** Timeouts for every upstream call. */
  upstreamConnectTimeoutMs: z.number().int().positive().default(10_000),
  upstreamHeadersTimeoutMs: z.number().int().positive().default(120_000),
  upstreamBodyTimeoutMs: z.number().int().positive().default(120_000),
  /** Clock leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
  /** Trust X-Forwarded-For from these proxy addresses or CIDR blocks (none by default). */
  trustedProxies: z.array(z.string()).default([]),
  /**
   * The wallet's defaults for suspending a grant (spec SEC-4), for owners who set none in their
   * settings: more calls than `anomalyBurstCalls` within `anomalyBurstWindowSeconds`, or more
   * than `anomalySpendMicros` spent within `anomalySpendWindowSeconds`.
   */
  anomalyBurstCalls: z.number().int().positive().default(DEFAULT_ANOMALY_POLICY.burstCalls),
  anomalyBurstWindowSeconds: z.number().int().positive().default(DEFAULT_ANOMALY_POLICY.burstWindowSeconds),
  anomalySpendMicros: z.number().int().positive().default(DEFAULT_ANOMALY_POLICY.spendMicros),
  anomalySpendWindowSeconds: z.number().int().positive().default(DEFAULT_ANOMALY_POLICY.spendWindowSeconds),
  /**
   * Ask for server nonces in DPoP proofs (RFC 9449 §9, spec DPOP-16), so a proof made in advance
   * with a stolen key expires within minutes. Off by default: it costs apps one extra round trip.
   */
  dpopNonces: z.boolean().default(false),
});

/** Gateway options as given. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** Gateway options, validated, with defaults. */
export type GatewayConfig = Readonly<z.output<typeof gatewayConfigSchema> & { jwksUri: string }>;

/** Validates options once; a bad option fails with its dotted path. */
export function resolveGatewayConfig(input: GatewayConfigInput): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`Invalid gateway configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({ ...parsed.data, jwksUri: parsed.data.jwksUri ?? `${parsed.data.issuer}/jwks` });
}
