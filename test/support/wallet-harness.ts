import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWalletOptions, serveWallet } from '@allowance/cli';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import { openStore, type Store } from '@allowance/store';
import { freePort, ScriptedBrowser } from '@allowance/testing';
import * as oauth from 'oauth4webapi';

/**
 * The app most tests connect: a server-side web app, so a confidential client, which the
 * wallet's DPoP policy for public clients does not cover; tests of DPoP bind its tokens on purpose.
 */
export const APP = {
  client_id: 'blog-assistant',
  client_name: 'Blog Assistant',
  client_secret: 'blog-assistant-secret-for-tests',
  redirect_uris: ['http://127.0.0.1:5999/callback'],
};
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

/** A whole wallet (`allowance serve`) on loopback, with the provider simulator as every provider. */
export interface Harness extends AsyncDisposable {
  wallet: { issuer: string; gateway: string };
  sim: ProviderSim;
  dataDirectory: string;
  /** A second connection to the wallet's database, for assertions. */
  store: Store;
  close(): Promise<void>;
  /** Starts the wallet again on the same port and data directory. */
  restart(): Promise<void>;
  /** Kills the wallet process with SIGKILL, as a crash would (child-process harnesses only). */
  crash(): Promise<void>;
  /** Everything the wallet process printed, logs included (child-process harnesses only). */
  output(): string;
}

/**
 * Starts the simulator and a wallet. In-process by default; with `childProcess`, the wallet runs
 * as `node packages/cli/dist/bin.js serve` (the built command, as `npm start` runs it), so a
 * test can kill it mid-call.
 */
export async function startHarness(
  options: {
    gatewayOptions?: Record<string, unknown>;
    childProcess?: boolean;
    clients?: Record<string, unknown>[];
    logLevel?: string;
  } = {},
): Promise<Harness> {
  const sim = await startProviderSim({ host: '127.0.0.1', port: 0 });
  const dataDirectory = mkdtempSync(join(tmpdir(), 'allowance-e2e-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const settings = {
    clients: [APP, ...(options.clients ?? [])],
    gatewayOptions: options.gatewayOptions ?? {},
  };
  const configPath = join(dataDirectory, 'config.json');
  writeFileSync(configPath, JSON.stringify(settings));
  const flags = { port: String(port), data: dataDirectory, issuer, config: configPath };

  let stop: (crash: boolean) => Promise<void>;
  let output = '';
  const start = async () => {
    if (!options.childProcess) {
      const wallet = await serveWallet(readWalletOptions(flags, {}));
      stop = () => wallet.close();
      return;
    }
    const child = spawn(
      process.execPath,
      [CLI, 'serve', ...Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: options.logLevel ?? 'error' },
      },
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the wallet did not start:\n${output}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Allowance is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code) => reject(new Error(`the wallet exited with ${code}:\n${output}`)));
    });
    stop = (crash) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(crash ? 'SIGKILL' : 'SIGTERM');
      });
  };
  await start();
  const store = await openStore({ sqlite: join(dataDirectory, 'allowance.sqlite') });
  const harness: Harness = {
    wallet: { issuer, gateway: `${issuer}/gateway` },
    sim,
    dataDirectory,
    store,
    async restart() {
      await stop(false);
      // Let this process's HTTP clients see their keep-alive sockets close before reusing them.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await start();
    },
    async crash() {
      if (!options.childProcess) throw new Error('crash() needs a child-process harness');
      await stop(true);
    },
    output: () => output,
    async close() {
      await stop(false);
      await store.close();
      await sim.close();
      rmSync(dataDirectory, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => harness.close(),
  };
  return harness;
}

/** Signs a new user up and stores the simulator's keys as their OpenAI and Anthropic keys. */
export async function userWithKeys(harness: Harness, email: string): Promise<ScriptedBrowser> {
  const browser = new ScriptedBrowser(harness.wallet.issuer);
  const signIn = await browser.open(`${harness.wallet.issuer}/signin`);
  let page = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  for (const provider of ['openai', 'anthropic', 'deepseek']) {
    page = await browser.submit(page, '#add-key', {
      providerId: provider,
      apiKey: harness.sim.apiKey(provider),
      baseUrl: harness.sim.baseURL(provider),
    });
    if (page.status !== 200) throw new Error(`could not add the ${provider} key: ${page.html.slice(0, 500)}`);
  }
  return browser;
}

/**
 * The app's side of the OAuth flow with oauth4webapi: requests `allowance`, lets `consent`
 * fill the consent form (approve as is by default), and exchanges the code.
 */
export async function connectApp(
  harness: Harness,
  browser: ScriptedBrowser,
  allowance: Record<string, unknown>,
  consent: Record<string, string | string[] | null> = {},
  options: { dpopKeys?: oauth.CryptoKeyPair } = {},
): Promise<{ accessToken: string; refreshToken: string; grantId: string }> {
  const issuer = new URL(harness.wallet.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const client: oauth.Client = { client_id: APP.client_id };
  const redirectUri = APP.redirect_uris[0] as string;
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(String(as.authorization_endpoint));
  for (const [name, value] of Object.entries({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: harness.wallet.gateway,
    authorization_details: JSON.stringify([{ type: 'ai_allowance', ...allowance }]),
  })) {
    url.searchParams.set(name, value);
  }
  const page = await browser.open(url.href);
  await browser.submit(page, '#consent', consent, { name: 'decision', value: 'approve' });
  if (!browser.leftTo) throw new Error('consent did not return to the app');
  const DPoP = options.dpopKeys ? oauth.DPoP(client, options.dpopKeys) : undefined;
  const tokens = await oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(APP.client_secret),
      oauth.validateAuthResponse(as, client, browser.leftTo, state),
      redirectUri,
      verifier,
      { ...insecure, ...(DPoP && { DPoP }) },
    ),
  );
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString()) as {
    grant_id: string;
  };
  return {
    accessToken: tokens.access_token,
    refreshToken: String(tokens.refresh_token),
    grantId: claims.grant_id,
  };
}
