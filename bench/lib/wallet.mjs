// A provider simulator and a wallet as child processes on loopback, an account with the
// simulator as its providers, and an app connected through the real OAuth flow: what the
// benchmark and the drills run against. Needs the built packages (`npm run build`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptedBrowser } from '@allowance/testing';
import * as oauth from 'oauth4webapi';
import { freePort, startNode } from './processes.mjs';

const SIM_BIN = fileURLToPath(new URL('../../packages/provider-sim/dist/bin.js', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const insecure = { [oauth.allowInsecureRequests]: true };

/** The app every bench and drill grant belongs to. */
export const APP = {
  client_id: 'bench-app',
  client_name: 'Bench App',
  redirect_uris: ['http://127.0.0.1:5999/cb'],
};

/** The simulator as a child process, with its provider URLs and keys, and its rules control route. */
export async function startSimulator() {
  const port = await freePort();
  const process = await startNode([SIM_BIN, '--port', String(port)], {
    ready: 'control:',
    name: 'provider simulator',
  });
  const url = `http://127.0.0.1:${port}`;
  const keys = {};
  for (const match of process.output().matchAll(/^\s+(\S+)\s+\S+\s+(http\S+)\s+key (\S+)$/gm)) {
    keys[match[1]] = { baseURL: match[2], apiKey: match[3] };
  }
  return {
    ...process,
    url,
    baseURL: (provider) => keys[provider].baseURL,
    apiKey: (provider) => keys[provider].apiKey,
    /** Replaces the simulator's rules (latency, pacing, faults) for the next calls. */
    async setRules(rules) {
      const response = await fetch(`${url}/_sim/rules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rules),
      });
      if (!response.ok) throw new Error(`the simulator refused the rules: ${await response.text()}`);
    },
  };
}

/**
 * `allowance serve` as a child process on a fresh data directory. `restart()` starts it again on
 * the same port and data; `stop('SIGKILL')` is a crash.
 */
export async function startWallet({
  gatewayOptions = {},
  logLevel = 'warn',
  dataDirectory,
  nodeArgs = [],
} = {}) {
  const directory = dataDirectory ?? mkdtempSync(join(tmpdir(), 'allowance-bench-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const configPath = join(directory, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ clients: [APP], gatewayOptions, requireDpopForPublicClients: false }),
  );
  const args = [
    ...nodeArgs,
    CLI_BIN,
    'serve',
    '--port',
    String(port),
    '--data',
    directory,
    '--issuer',
    issuer,
  ];
  const launch = () =>
    startNode([...args, '--config', configPath], {
      ready: 'Allowance is running',
      env: { LOG_LEVEL: logLevel },
      name: 'wallet',
    });
  const wallet = {
    process: await launch(),
    issuer,
    gateway: `${issuer}/gateway`,
    dataDirectory: directory,
    configPath,
    sqlite: join(directory, 'allowance.sqlite'),
    /** Starts it again (after `process.stop()`) on the same port and data directory. */
    async start() {
      wallet.process = await launch();
    },
    async restart() {
      await wallet.process.stop();
      wallet.process = await launch();
    },
    async crash() {
      await wallet.process.stop('SIGKILL');
    },
    async close({ keepData = false } = {}) {
      await wallet.process.stop();
      if (!keepData) rmSync(directory, { recursive: true, force: true });
    },
  };
  return wallet;
}

/**
 * `allowance gateway`, a gateway replica, as a child process on its own port beside a running
 * `startWallet` wallet: same data directory (so the same grants, ledger and master key), same
 * config file (so the same `gatewayOptions`), and the wallet's issuer and gateway URL, so a
 * token `connectApp` got from the wallet has the audience the replica expects. The replica
 * verifies tokens against the issuer's JWKS, fetched over HTTP from the wallet process, which
 * must keep running. The gateway serves under its resource's path, so the replica's base URL is
 * its own origin plus that path (`/gateway`), not the resource URL itself.
 */
export async function startReplica(wallet, { logLevel = 'warn', nodeArgs = [] } = {}) {
  const port = await freePort();
  const process = await startNode(
    [
      ...nodeArgs,
      CLI_BIN,
      'gateway',
      '--port',
      String(port),
      '--data',
      wallet.dataDirectory,
      '--issuer',
      wallet.issuer,
      '--gateway',
      wallet.gateway,
      '--config',
      wallet.configPath,
    ],
    { ready: 'Allowance gateway replica on', env: { LOG_LEVEL: logLevel }, name: 'gateway replica' },
  );
  return {
    process,
    gateway: `http://127.0.0.1:${port}${new URL(wallet.gateway).pathname}`,
    stop: (signal) => process.stop(signal),
  };
}

/**
 * What the benchmarks ask for: one model, day and month budgets and a daily token limit, all far
 * above what any run spends, so every call goes through the whole metering path and none is refused.
 */
export function generousAllowance(model) {
  return {
    providers: ['openai'],
    models: [model],
    budget: {
      currency: 'USD',
      limits: [
        { amount: '100000.00', period: 'day' },
        { amount: '1000000.00', period: 'month' },
      ],
    },
    tokens: { limits: [{ tokens: 1_000_000_000, period: 'day' }] },
  };
}

/** Signs a user up and stores the simulator's keys as their OpenAI, Anthropic and DeepSeek keys. */
export async function userWithKeys(wallet, sim, email) {
  const browser = new ScriptedBrowser(wallet.issuer);
  let page = await browser.submit(await browser.open(`${wallet.issuer}/signin`), 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  for (const provider of ['openai', 'anthropic', 'deepseek']) {
    page = await browser.submit(page, '#add-key', {
      providerId: provider,
      apiKey: sim.apiKey(provider),
      baseUrl: sim.baseURL(provider),
    });
    if (page.status !== 200) throw new Error(`could not add the ${provider} key`);
  }
  return browser;
}

/**
 * The app's side of the OAuth flow (oauth4webapi): asks for `allowance`, approves it as asked on
 * the consent screen, exchanges the code. Returns the grant id and a `token()` that refreshes
 * the access token (they live minutes) when it is older than `maxAgeMs`.
 */
export async function connectApp(wallet, browser, allowance, { maxAgeMs = 120_000 } = {}) {
  const issuer = new URL(wallet.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: APP.client_id, token_endpoint_auth_method: 'none' };
  const redirectUri = APP.redirect_uris[0];
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(String(as.authorization_endpoint));
  const parameters = {
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: wallet.gateway,
    authorization_details: JSON.stringify([{ type: 'ai_allowance', ...allowance }]),
  };
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  await browser.submit(await browser.open(url.href), '#consent', {}, { name: 'decision', value: 'approve' });
  if (!browser.leftTo) throw new Error('consent did not return to the app');
  let tokens = await oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      oauth.validateAuthResponse(as, client, browser.leftTo, state),
      redirectUri,
      verifier,
      insecure,
    ),
  );
  let issuedAt = Date.now();
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
  return {
    grantId: claims.grant_id,
    async token() {
      if (Date.now() - issuedAt > maxAgeMs) {
        tokens = await oauth.processRefreshTokenResponse(
          as,
          client,
          await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, insecure),
        );
        issuedAt = Date.now();
      }
      return tokens.access_token;
    },
  };
}

/**
 * A wallet with one connected app and the simulator behind it, ready for JSON calls: `load` is
 * what `jsonLoad` needs besides the connections and seconds. With `replica`, the calls go to an
 * `allowance gateway` replica started with `replicaNodeArgs`; `measured` is the process they
 * reach. The burst-anomaly limit is raised, since a measurement is a burst.
 */
export async function meteredTarget({
  replica = false,
  replicaNodeArgs = [],
  email = 'load@example.com',
} = {}) {
  const model = 'gpt-4.1-mini';
  const sim = await startSimulator();
  await sim.setRules([{ responseTokens: 32 }]);
  const wallet = await startWallet({
    gatewayOptions: { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 },
  });
  const gatewayReplica = replica ? await startReplica(wallet, { nodeArgs: replicaNodeArgs }) : undefined;
  const measured = gatewayReplica ?? wallet;
  const app = await connectApp(wallet, await userWithKeys(wallet, sim, email), generousAllowance(model));
  return {
    measured,
    load: {
      url: `${measured.gateway}/v1/chat/completions`,
      headers: { authorization: `Bearer ${await app.token()}` },
      body: { model, messages: [{ role: 'user', content: 'Say hello in a few words.' }], max_tokens: 64 },
    },
    async close() {
      await gatewayReplica?.stop();
      await wallet.close();
      await sim.stop();
    },
  };
}
