import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWalletOptions, serveWallet } from '@allowance/cli';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import { freePort, type Page, ScriptedBrowser } from '@allowance/testing';

/** A web app with a loopback redirect URI, registered with the test wallet. */
export const WEB_APP = {
  client_id: 'blog-assistant',
  client_name: 'Blog Assistant',
  redirect_uris: ['http://127.0.0.1:5999/callback'],
};

/** A CLI that uses the device flow, registered with the test wallet. */
export const CLI_APP = {
  client_id: 'cli-assistant',
  client_name: 'CLI Assistant',
  redirect_uris: [],
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  application_type: 'native',
};

/** A whole wallet (`allowance serve`) on loopback, with the provider simulator as every provider. */
export interface TestWallet extends AsyncDisposable {
  issuer: string;
  gateway: string;
  sim: ProviderSim;
  close(): Promise<void>;
}

/** Starts the simulator and a wallet in this process, with {@link WEB_APP} and {@link CLI_APP}. */
export async function startTestWallet(): Promise<TestWallet> {
  const sim = await startProviderSim({ host: '127.0.0.1', port: 0 });
  const dataDirectory = mkdtempSync(join(tmpdir(), 'allowance-client-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const options = readWalletOptions({ port: String(port), data: dataDirectory, issuer }, {});
  const wallet = await serveWallet({ ...options, clients: [WEB_APP, CLI_APP] });
  const close = async () => {
    await wallet.close();
    await sim.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  };
  return { issuer, gateway: wallet.gateway, sim, close, [Symbol.asyncDispose]: close };
}

/** Signs a new user up in a scripted browser and stores the simulator's keys as their provider keys. */
export async function signUpWithKeys(wallet: TestWallet, email: string): Promise<ScriptedBrowser> {
  const browser = new ScriptedBrowser(wallet.issuer);
  const signIn = await browser.open(`${wallet.issuer}/signin`);
  let page = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  for (const provider of ['openai', 'anthropic']) {
    page = await browser.submit(page, '#add-key', {
      providerId: provider,
      apiKey: wallet.sim.apiKey(provider),
      baseUrl: wallet.sim.baseURL(provider),
    });
    if (page.status !== 200) throw new Error(`could not add the ${provider} key: ${page.html.slice(0, 500)}`);
  }
  return browser;
}

/** Fields of the consent form to change (narrowing), such as `{ 'budget.month': '2.00' }`. */
export type ConsentFields = Record<string, string | string[] | null>;

/**
 * Opens an authorization URL as the signed-in user and answers the consent screen; returns the
 * callback URL the wallet redirected to.
 */
export async function answerConsent(
  browser: ScriptedBrowser,
  url: URL,
  decision: 'approve' | 'deny' = 'approve',
  fields: ConsentFields = {},
): Promise<URL> {
  const page = await browser.open(url.href);
  await browser.submit(page, '#consent', fields, { name: 'decision', value: decision });
  if (!browser.leftTo) throw new Error(`consent did not return to the app:\n${page.html.slice(0, 1000)}`);
  return browser.leftTo;
}

/**
 * Approves (or denies) a device flow as the signed-in user: opens the complete verification URI,
 * confirms the code, and answers the consent screen. Returns the user code the page showed.
 */
export async function answerDeviceConsent(
  browser: ScriptedBrowser,
  verificationUriComplete: string,
  decision: 'approve' | 'deny' = 'approve',
): Promise<{ shownUserCode: string | undefined; done: Page }> {
  const entry = await browser.open(verificationUriComplete);
  const confirm = entry.document.querySelector('form') ? await browser.submit(entry, 'form') : entry;
  const shownUserCode = confirm.document.querySelector('#user-code')?.text;
  const consent = await browser.submit(confirm, 'form#op\\.deviceConfirmForm');
  const done = await browser.submit(consent, '#consent', {}, { name: 'decision', value: decision });
  return { shownUserCode, done };
}
