import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@allowance/testing';
import type { ConformanceConfigInput } from '../config.js';

const REDIRECT = 'http://127.0.0.1/callback';
const INITIAL_ACCESS_TOKEN = 'conformance-initial-access-token-0123456789';

/**
 * Checks the reference wallet is known to fail today, each a real deviation from spec/ (see the
 * suite's report for the exchanges). They still run and print as KNOWN; delete a line once the
 * wallet is fixed, and the check will be counted again.
 */
export const ALLOWANCE_KNOWN_FAILURES: Readonly<Record<string, string>> = {};

/** The clients spec 8.2 asks the operator to register, as Allowance's static configuration. */
export const SUITE_CLIENTS = [
  { client_id: 'conformance-app', client_name: 'Conformance App', redirect_uris: [REDIRECT] },
  { client_id: 'conformance-second', client_name: 'Conformance Second App', redirect_uris: [REDIRECT] },
  {
    client_id: 'conformance-dpop',
    client_name: 'Conformance DPoP App',
    redirect_uris: [REDIRECT],
    dpop_bound_access_tokens: true,
  },
  {
    client_id: 'conformance-backend',
    client_name: 'Conformance Backend',
    redirect_uris: [REDIRECT],
    client_secret: 'conformance-backend-secret-0123456789',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'conformance-device',
    client_name: 'Conformance Device App',
    redirect_uris: [],
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    application_type: 'native',
  },
];

/** Chromium as Debian installs it (`apt-get install chromium`), for the third-party mode. */
export const CHROMIUM = '/usr/bin/chromium';

/** The browser-script driver's steps for Allowance's pages, as a third party would write them. */
export const ALLOWANCE_BROWSER_DRIVER = {
  profile: 'browser-script',
  executablePath: CHROMIUM,
  login: [
    { url: '/interaction/', fill: { '#email': '{email}', '#password': '{password}' }, click: '#sign-in' },
  ],
  consentPage: '#consent',
  approve: '#approve',
  deny: '#deny',
  remember: 'input[name="remember"]',
  device: [{ url: '/device', click: 'button[form="op.deviceConfirmForm"]:not([name="abort"])' }],
} as const satisfies ConformanceConfigInput['driver'];

/** A freshly started Allowance wallet and the suite configuration that points at it. */
export interface RunningAllowance extends AsyncDisposable {
  readonly issuer: string;
  readonly dataDirectory: string;
  /** The file the wallet process writes its log output (stdout and stderr) to. */
  readonly logFile: string;
  /** Where the wallet process itself listens (differs from `issuer` behind a proxy). */
  readonly listenPort: number;
  readonly config: ConformanceConfigInput;
  /** Kills the wallet process (SIGKILL, as a crash would) and starts it again on the same port and data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How the suite sees the wallet:
 * - `full`: Allowance's own form-post driver, the operator interface, and read access to the
 *   database and logs (the inspection checks), as `npm run conformance` runs it;
 * - `third-party`: only what any implementer can give: headless Chromium with selector steps,
 *   the documented operator interface, and a shell command that crashes and restarts the
 *   wallet; no database, no logs, no knowledge of Allowance's pages beyond the selectors.
 */
export type SelfTestMode = 'full' | 'third-party';

/**
 * Starts Allowance (`allowance serve`, in its own process started by a shell command) on
 * loopback with a fresh data directory, the suite's clients and its test-mode operator
 * interface, its log output in a file beside it. A separate process, so that a restart can kill
 * it mid-call as a crash would ([MTR-26]) and the suite can read its logs ([SEC-12]). With
 * `publicPort`, the wallet believes it is served at that port: tests put a proxy there (a
 * deliberately broken wrapper) and forward to the wallet's own port.
 */
export async function startAllowance(
  options: { publicPort?: number; outputDirectory?: string; mode?: SelfTestMode } = {},
): Promise<RunningAllowance> {
  const mode = options.mode ?? 'full';
  const root = mkdtempSync(join(tmpdir(), 'allowance-conformance-'));
  const dataDirectory = join(root, 'data');
  mkdirSync(dataDirectory);
  const logFile = join(root, 'wallet.log');
  const pidFile = join(root, 'wallet.pid');
  const listenPort = await freePort();
  const operatorPort = await freePort();
  const operatorToken = randomBytes(24).toString('base64url');
  const issuer = `http://127.0.0.1:${options.publicPort ?? listenPort}`;
  const configPath = join(root, 'wallet.json');
  // The suite tests Bearer and DPoP as separate variants, so DPoP is not forced on every public client.
  writeFileSync(
    configPath,
    JSON.stringify({
      clients: SUITE_CLIENTS,
      requireDpopForPublicClients: false,
      registrationToken: INITIAL_ACCESS_TOKEN,
      operatorInterface: { port: operatorPort, token: operatorToken },
      gatewayOptions: {
        // Short, so that the recovery check waits seconds, not the default ten minutes, for a
        // reservation left open by a crash to pass its deadline; longer than any call the suite makes.
        reservationDeadlineSeconds: RESERVATION_DEADLINE_SECONDS,
        upstreamHeadersTimeoutMs: UPSTREAM_TIMEOUT_SECONDS * 1000,
        // Short, so that the check on an expired confirmation waits seconds; long enough for the
        // confirmation module's own decisions.
        confirmationLifetimeSeconds: 12,
      },
    }),
  );
  const bin = join(dirname(fileURLToPath(import.meta.resolve('@allowance/cli'))), 'bin.js');
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  // debug: the most the wallet ever logs, so that the log inspection sees everything.
  const start = [
    `LOG_LEVEL=debug ${quote(process.execPath)} ${quote(bin)} serve --port ${listenPort}`,
    `--data ${quote(dataDirectory)} --issuer ${quote(issuer)} --config ${quote(configPath)}`,
    `>> ${quote(logFile)} 2>&1 < /dev/null & echo $! > ${quote(pidFile)}`,
  ].join(' ');
  // What an operator would write for their own wallet: crash it (kill -9) and start it again.
  const restartCommand = `kill -9 "$(cat ${quote(pidFile)})"; ${start}`;
  await runShell(start);
  await waitUntilAnswering(listenPort, logFile);
  const [app, second, dpop, confidential, device] = SUITE_CLIENTS.map((client) => ({
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    ...(client.client_secret && { client_secret: client.client_secret }),
  }));
  const common: ConformanceConfigInput = {
    issuer,
    clients: { app: app ?? { client_id: '' }, second, dpop, confidential, device },
    registration: { initial_access_token: INITIAL_ACCESS_TOKEN },
    user: { email: 'conformance@allowance.test', password: 'conformance-password-42' },
    driver: { profile: 'allowance' },
    operator: { url: `http://127.0.0.1:${operatorPort}`, token: operatorToken },
    upstreamTimeoutSeconds: UPSTREAM_TIMEOUT_SECONDS,
    knownFailures: { ...ALLOWANCE_KNOWN_FAILURES },
    // Allowance throttles failed OAuth requests per address (100 per 5 minutes by default):
    // spread the suite's negatives over loopback addresses (Linux routes all of 127/8 to lo).
    sourceAddresses: Array.from({ length: 120 }, (_, index) => `127.0.0.${index + 2}`),
    output: { directory: options.outputDirectory ?? 'test-results/conformance' },
  };
  const config: ConformanceConfigInput =
    mode === 'full'
      ? { ...common, artefacts: { database: [dataDirectory], logs: [logFile] } }
      : {
          ...common,
          driver: ALLOWANCE_BROWSER_DRIVER,
          restart: { command: restartCommand, readySeconds: 20 },
        };
  const stop = async (signal: 'KILL' | 'TERM') => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    if (!pid) return;
    try {
      process.kill(pid, `SIG${signal}`);
    } catch {
      return; // already gone
    }
    for (let waited = 0; waited < 10_000; waited += 50) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const running: RunningAllowance = {
    issuer,
    dataDirectory,
    logFile,
    listenPort,
    config,
    async restart() {
      await stop('KILL');
      await runShell(start);
      await waitUntilAnswering(listenPort, logFile);
    },
    async close() {
      await stop('TERM');
      rmSync(root, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => running.close(),
  };
  return running;
}

/** Seconds after which Allowance settles a reservation its gateway left open (`gatewayOptions`). */
export const RESERVATION_DEADLINE_SECONDS = 4;

/**
 * How long Allowance's gateway waits for a provider's response headers (`gatewayOptions`): short,
 * so that the [GW-21] timeout row waits seconds; longer than any latency the suite asks for.
 */
export const UPSTREAM_TIMEOUT_SECONDS = 3;

function runShell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

/** Waits until the wallet answers its metadata, or fails with the end of its log. */
async function waitUntilAnswering(port: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '(no log)';
      throw new Error(`allowance serve did not answer within 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
