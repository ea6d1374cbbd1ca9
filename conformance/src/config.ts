import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const client = z.object({
  client_id: z.string().min(1),
  /** Registered redirect URI; the suite never listens on it, the consent driver stops at it. */
  redirect_uri: z.url().default('http://127.0.0.1/callback'),
  /** For a confidential client (`client_secret_basic`). */
  client_secret: z.string().optional(),
});

const browserStep = z.object({
  /** Run this step only when the page URL matches this regular expression. */
  url: z.string().optional(),
  fill: z.record(z.string(), z.string()).optional(),
  click: z.string().optional(),
});

/** How the suite plays the user (spec 8.2, the consent driver). */
const driver = z.discriminatedUnion('profile', [
  z.object({
    /** Allowance's own pages, driven with HTTP form posts (no browser needed). */
    profile: z.literal('allowance'),
  }),
  z.object({
    /** Any implementation: headless Chromium with URL-matched selector steps. */
    profile: z.literal('browser-script'),
    executablePath: z.string().default('/usr/bin/chromium'),
    /** Steps run on every page until the consent page shows; `{email}`/`{password}` are substituted. */
    login: z.array(browserStep).default([]),
    /** Selector that identifies the consent page. */
    consentPage: z.string(),
    approve: z.string(),
    deny: z.string(),
    /** Checkbox ticked before approving when a check asks the wallet to remember the consent. */
    remember: z.string().optional(),
    /**
     * Steps run at a device flow's `verification_uri_complete` until the consent page shows
     * (confirming the user code, say); without them the device checks skip.
     */
    device: z.array(browserStep).optional(),
  }),
]);

/** The suite's configuration file (`conformance.json`). Validated once; a bad option names its path. */
export const configSchema = z.object({
  issuer: z.url(),
  /** `G`; discovered from `allowance.gateway` when absent. */
  gateway: z.url().optional(),
  clients: z.object({
    /** A public client (authorization code + refresh, Bearer allowed). */
    app: client,
    /** A second public client, for pairwise-subject and cross-client checks. */
    second: client.optional(),
    /** A public client registered with `dpop_bound_access_tokens: true`. */
    dpop: client.optional(),
    /** A confidential client, for introspection. */
    confidential: client.optional(),
    /** A public client registered for the device authorization grant. */
    device: client.optional(),
  }),
  /**
   * The wallet's test-mode operator interface (conformance/OPERATOR.md): the owner's operations
   * (decide a confirmation, suspend, revoke, edit limits, the wallet cap, prices, the time zone,
   * provider credentials), the ledger, and a key holder's test tokens, over HTTP. The token is
   * given here or, better, in the environment variable `tokenEnv` names.
   */
  operator: z
    .object({
      url: z.url(),
      token: z.string().min(32).optional(),
      tokenEnv: z.string().min(1).optional(),
    })
    .refine((operator) => operator.token !== undefined || operator.tokenEnv !== undefined, {
      message: 'give token or tokenEnv',
    })
    .optional(),
  /**
   * How to crash and restart the wallet (spec 8.2 `restart`): a shell command that stops it
   * abruptly (as kill -9 would) and starts it again in the background; the suite then waits
   * until the issuer answers. For the crash-recovery check ([MTR-26]).
   */
  restart: z
    .object({
      command: z.string().min(1),
      readySeconds: z.number().positive().max(300).default(30),
    })
    .optional(),
  /**
   * A baseline of expected failures: a JSON file mapping `module.check` to why it fails on this
   * implementation, merged into `knownFailures`. A listed check that passes fails the run, so
   * that the baseline shrinks as the implementation is fixed. Relative to the config file.
   */
  expectedFailures: z.string().optional(),
  /** An initial access token (RFC 7591 §3) for the registration module. */
  registration: z.object({ initial_access_token: z.string().min(1) }).optional(),
  user: z.object({ email: z.string().min(1), password: z.string().min(1) }),
  driver,
  simulator: z
    .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).default(0) })
    .default({
      host: '127.0.0.1',
      port: 0,
    }),
  /**
   * Read access to the wallet's artefacts after its calls (spec 8.2), for the `inspect` checks:
   * files or directories holding its database (a dump, or the live files) and files holding its
   * log output. Each is searched byte for byte for the run's canaries. Inspection is optional and
   * off by default: without this, the `inspect` checks are not run (and not counted).
   */
  artefacts: z
    .object({ database: z.array(z.string()).default([]), logs: z.array(z.string()).default([]) })
    .optional(),
  /**
   * The wallet's reservation deadline in seconds (spec [MTR-26]): how long after a crash the
   * recovery check waits before restarting the wallet again. Absent: that check skips.
   */
  reservationDeadlineSeconds: z.number().positive().max(600).optional(),
  /**
   * The wallet's upstream timeout in seconds (how long its gateway waits for a provider's answer),
   * for the [GW-21] timeout row: the check lets the provider hang that long. Absent: that check skips.
   */
  upstreamTimeoutSeconds: z.number().positive().max(60).optional(),
  /**
   * Local addresses to send the suite's requests from, round-robin (e.g. 127.0.0.2 … on Linux),
   * so that the run's deliberate failures stay under a per-address failure throttle.
   */
  sourceAddresses: z.array(z.string()).default([]),
  plans: z.array(z.enum(['core', 'dpop', 'device'])).default(['core', 'dpop', 'device']),
  /** Run only these modules (by name). */
  modules: z.array(z.string()).optional(),
  /**
   * Checks (`module.check`) the operator knows fail on this implementation, with why. They are
   * still run and reported as failures, marked known, and do not fail the run.
   */
  knownFailures: z.record(z.string(), z.string()).default({}),
  output: z.object({ directory: z.string().default('conformance-results') }).default({
    directory: 'conformance-results',
  }),
});

/** The validated configuration. */
export type ConformanceConfig = z.output<typeof configSchema>;
/** The configuration as written. */
export type ConformanceConfigInput = z.input<typeof configSchema>;

/** Validates a configuration, throwing one message listing every problem by dotted path. */
export function parseConfig(input: unknown): ConformanceConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`Invalid conformance configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

/** Reads and validates `conformance.json`, with its expected-failures baseline merged in. */
export function readConfig(path: string): ConformanceConfig {
  const config = parseConfig(JSON.parse(readFileSync(path, 'utf8')));
  if (config.expectedFailures === undefined) return config;
  return withBaseline(config, resolve(dirname(path), config.expectedFailures));
}

/** Merges an expected-failures baseline file (`{ "module.check": "why" }`) into the known failures. */
export function withBaseline(config: ConformanceConfig, path: string): ConformanceConfig {
  let baseline: unknown;
  try {
    baseline = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`The expected-failures baseline ${path} cannot be read: ${(error as Error).message}`);
  }
  const entries = z.record(z.string(), z.string()).safeParse(baseline);
  if (!entries.success)
    throw new Error(`The expected-failures baseline ${path} must map "module.check" to a reason string.`);
  return Object.freeze({ ...config, knownFailures: { ...config.knownFailures, ...entries.data } });
}

/** The operator token: from the configuration, or from the environment variable it names. */
export function operatorToken(config: ConformanceConfig): string | undefined {
  const operator = config.operator;
  if (!operator) return undefined;
  const token = operator.token ?? process.env[operator.tokenEnv ?? ''];
  if (!token)
    throw new Error(`The operator token is not set: export ${operator.tokenEnv} or give operator.token.`);
  return token;
}
