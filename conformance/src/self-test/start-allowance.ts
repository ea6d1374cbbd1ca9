import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * Starts Allowance (`allowance serve`, as a child process) on loopback with a fresh data
 * directory and the suite's clients, its log output in a file beside it. A separate process, so
 * that `restart()` can kill it mid-call as a crash would ([MTR-26]) and the suite can read its
 * logs ([SEC-12]). With `publicPort`, the wallet believes it is served at that port: tests put a
 * proxy there (a deliberately broken wrapper) and forward to the wallet's own port.
 */
export async function startAllowance(
  options: { publicPort?: number; outputDirectory?: string } = {},
): Promise<RunningAllowance> {
  const root = mkdtempSync(join(tmpdir(), 'allowance-conformance-'));
  const dataDirectory = join(root, 'data');
  mkdirSync(dataDirectory);
  const logFile = join(root, 'wallet.log');
  const listenPort = await freePort();
  const issuer = `http://127.0.0.1:${options.publicPort ?? listenPort}`;
  const configPath = join(root, 'wallet.json');
  // The suite tests Bearer and DPoP as separate variants, so DPoP is not forced on every public client.
  writeFileSync(
    configPath,
    JSON.stringify({
      clients: SUITE_CLIENTS,
      requireDpopForPublicClients: false,
      registrationToken: INITIAL_ACCESS_TOKEN,
      // Short, so that the recovery check waits seconds, not the default ten minutes, for a
      // reservation left open by a crash to pass its deadline; longer than any call the suite makes.
      gatewayOptions: {
        reservationDeadlineSeconds: RESERVATION_DEADLINE_SECONDS,
        upstreamHeadersTimeoutMs: UPSTREAM_TIMEOUT_SECONDS * 1000,
      },
    }),
  );
  const args = ['serve', '--port', String(listenPort), '--data', dataDirectory, '--issuer', issuer];
  let wallet = await spawnWallet([...args, '--config', configPath], listenPort, logFile);
  const [app, second, dpop, confidential, device] = SUITE_CLIENTS.map((client) => ({
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    ...(client.client_secret && { client_secret: client.client_secret }),
  }));
  const running: RunningAllowance = {
    issuer,
    dataDirectory,
    logFile,
    listenPort,
    config: {
      issuer,
      clients: { app: app ?? { client_id: '' }, second, dpop, confidential, device },
      registration: { initial_access_token: INITIAL_ACCESS_TOKEN },
      user: { email: 'conformance@allowance.test', password: 'conformance-password-42' },
      driver: { profile: 'allowance', dataDirectory },
      artefacts: { database: [dataDirectory], logs: [logFile] },
      reservationDeadlineSeconds: RESERVATION_DEADLINE_SECONDS,
      upstreamTimeoutSeconds: UPSTREAM_TIMEOUT_SECONDS,
      knownFailures: { ...ALLOWANCE_KNOWN_FAILURES },
      // Allowance throttles failed OAuth requests per address (100 per 5 minutes by default):
      // spread the suite's negatives over loopback addresses (Linux routes all of 127/8 to lo).
      sourceAddresses: Array.from({ length: 120 }, (_, index) => `127.0.0.${index + 2}`),
      output: { directory: options.outputDirectory ?? 'test-results/conformance' },
    },
    async restart() {
      await wallet.stop('SIGKILL');
      wallet = await spawnWallet([...args, '--config', configPath], listenPort, logFile);
    },
    async close() {
      await wallet.stop('SIGTERM');
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

interface WalletProcess {
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** Runs `allowance serve`, appending its output to `logFile`, and waits until it answers. */
async function spawnWallet(args: string[], port: number, logFile: string): Promise<WalletProcess> {
  const bin = join(dirname(fileURLToPath(import.meta.resolve('@allowance/cli'))), 'bin.js');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [bin, ...args], {
    // debug: the most the wallet ever logs, so that the log inspection sees everything.
    env: { ...process.env, LOG_LEVEL: 'debug' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `allowance serve exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
      await response.arrayBuffer();
      if (response.ok) return { stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error('allowance serve did not answer within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
