import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The wallet's options: a JSON config file (`--config` or `ALLOWANCE_CONFIG`), then the
 * environment (`PORT`, `HOST`, `ALLOWANCE_ISSUER`, `ALLOWANCE_DATA`), then flags, each
 * overriding the one before. Everything not given has a default that runs on a laptop.
 */
export const walletOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  host: z.string().default('127.0.0.1'),
  /** Public URL of the wallet (the issuer). Default http://localhost:<port>. */
  issuer: z.url().optional(),
  /** Public URL of the gateway (the token audience). Default <issuer>/gateway. */
  gateway: z.url().optional(),
  dataDirectory: z.string().default('./data'),
  currency: z.string().optional(),
  timeZone: z.string().optional(),
  registrationToken: z.string().optional(),
  trustProxy: z.boolean().optional(),
  /** Public clients must use DPoP (default true; spec DPOP-3). */
  requireDpopForPublicClients: z.boolean().optional(),
  /** The token endpoint asks DPoP proofs for a nonce (default false; spec DPOP-5). */
  requireDpopNonce: z.boolean().optional(),
  clients: z.array(z.unknown()).optional(),
  /**
   * Test mode only: the operator HTTP interface the conformance suite drives the wallet through
   * (conformance/OPERATOR.md), on 127.0.0.1:<port> and nowhere else. Off when absent.
   */
  operatorInterface: z
    .object({
      port: z.number().int().min(0).max(65_535),
      token: z.string().min(32, 'the operator token must be at least 32 characters'),
    })
    .strict()
    .optional(),
  /**
   * Failed requests to the token and other OAuth endpoints tolerated per client address, and in
   * what window (default 30 in 5 minutes). A conformance run makes hundreds of deliberate
   * mistakes from one address; raise it for such a run, never for a public wallet.
   */
  endpointThrottle: z
    .object({
      failuresPerAddress: z.number().int().positive(),
      windowSeconds: z.number().int().positive(),
    })
    .strict()
    .optional(),
  /** Gateway options passed through (timeouts, body limit, reservation deadline …). */
  gatewayOptions: z.record(z.string(), z.unknown()).optional(),
});

/** The wallet's options, resolved. */
export type WalletOptions = z.output<typeof walletOptionsSchema> & { issuer: string; gateway: string };

/** Reads the options from the config file, environment and flags; exits with a clear message if bad. */
export function readWalletOptions(
  flags: Record<string, string | boolean>,
  environment: NodeJS.ProcessEnv = process.env,
): WalletOptions {
  const configPath =
    (typeof flags.config === 'string' ? flags.config : undefined) ?? environment.ALLOWANCE_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (configPath) {
    const path = resolve(configPath);
    if (!existsSync(path)) throw new Error(`The config file ${path} does not exist.`);
    try {
      fromFile = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`The config file ${path} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const fromEnvironment = Object.fromEntries(
    Object.entries({
      port: environment.PORT,
      host: environment.HOST,
      issuer: environment.ALLOWANCE_ISSUER,
      gateway: environment.ALLOWANCE_GATEWAY,
      dataDirectory: environment.ALLOWANCE_DATA,
    }).filter(([, value]) => value !== undefined && value !== ''),
  );
  const fromFlags = Object.fromEntries(
    Object.entries({
      port: flags.port,
      host: flags.host,
      issuer: flags.issuer,
      gateway: flags.gateway,
      dataDirectory: flags.data,
    }).filter(([, value]) => typeof value === 'string'),
  );
  const parsed = walletOptionsSchema.safeParse({ ...fromFile, ...fromEnvironment, ...fromFlags });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`Invalid wallet options:\n  ${problems.join('\n  ')}`);
  }
  const issuer = (parsed.data.issuer ?? `http://localhost:${parsed.data.port}`).replace(/\/$/, '');
  return { ...parsed.data, issuer, gateway: parsed.data.gateway ?? `${issuer}/gateway` };
}

/** `--name value` and `--flag` pairs. */
export function parseFlags(argv: string[]): {
  command: string | undefined;
  flags: Record<string, string | boolean>;
} {
  const flags: Record<string, string | boolean> = {};
  let command: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument.startsWith('--')) {
      const [name, inline] = argument.slice(2).split('=', 2);
      const next = argv[index + 1];
      if (inline !== undefined) flags[name ?? ''] = inline;
      else if (next !== undefined && !next.startsWith('--')) {
        flags[name ?? ''] = next;
        index += 1;
      } else flags[name ?? ''] = true;
    } else if (command === undefined) command = argument;
  }
  return { command, flags };
}
