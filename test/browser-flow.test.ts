import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningWallet, readWalletOptions, serveWallet } from '@allowance/cli';
import { startBlogAssistant } from '@allowance/example-blog-assistant';
import { formatMoney } from '@allowance/protocol';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import { openStore, type Store } from '@allowance/store';
import { freePort } from '@allowance/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(
    `Chromium is required in CI and is missing at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`,
  );
}
if (!available) {
  console.warn(
    `\n  SKIPPING the browser tests: no Chromium at ${CHROMIUM}. Install it with: apt-get install chromium\n`,
  );
}
const ARTEFACTS = join(process.cwd(), 'test-results');

let sim: ProviderSim;
let wallet: RunningWallet;
let blog: Awaited<ReturnType<typeof startBlogAssistant>>;
let browser: Browser;
let store: Store;
let walletUrl: string;
let blogUrl: string;

beforeAll(async () => {
  if (!available) return;
  mkdirSync(ARTEFACTS, { recursive: true });
  sim = await startProviderSim({ host: '127.0.0.1', port: 0, rules: [{ tokensPerSecond: 200 }] });
  const [walletPort, blogPort] = [await freePort(), await freePort()];
  walletUrl = `http://127.0.0.1:${walletPort}`;
  blogUrl = `http://127.0.0.1:${blogPort}`;
  const data = mkdtempSync(join(tmpdir(), 'allowance-browser-'));
  wallet = await serveWallet({
    ...readWalletOptions({ port: String(walletPort), data, issuer: walletUrl }, {}),
    clients: [
      { client_id: 'blog-assistant', client_name: 'Blog Assistant', redirect_uris: [`${blogUrl}/callback`] },
    ],
  });
  store = await openStore({ sqlite: join(data, 'allowance.sqlite') });
  blog = await startBlogAssistant({
    walletIssuer: walletUrl,
    publicUrl: blogUrl,
    clientId: 'blog-assistant',
    model: 'gpt-4.1-mini',
    port: blogPort,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await blog?.close();
  await wallet?.close();
  await store?.close();
  await sim?.close();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!available)('the whole flow in a real browser', () => {
  it('signs up, adds a key, connects the blog assistant with a narrowed allowance, writes, sees the cost, revokes', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(8000);
    await page.goto(`${walletUrl}/signin`);
    await page.fill('#new-email', 'browser@example.com');
    await page.fill('#new-password', 'correct horse battery');
    await page.click('#sign-up');
    await page.fill('#provider-id', 'openai');
    await page.fill('#api-key', sim.apiKey('openai'));
    await page.fill('#base-url', sim.baseURL('openai'));
    await page.click('#add-key button[type=submit]');
    await expect.poll(() => page.textContent('#notice')).toContain('Saved the key');

    await page.goto(blogUrl);
    await page.click('#connect');
    await page.waitForSelector('#consent');
    expect(await page.textContent('#client-name')).toBe('Blog Assistant');
    expect(await page.textContent('#consent')).toContain('gpt-4.1-nano');
    expect(await page.inputValue('input[name="budget.month"]')).toBe('5.00');
    await shot(page, 'consent');
    await page.fill('input[name="budget.month"]', '2.00');
    await page.uncheck('input[name="model"][value="gpt-4.1-nano"]');
    await page.click('#approve');

    await page.waitForURL(`${blogUrl}/`);
    await expect.poll(() => page.textContent('#remaining')).toBe('2.00 USD left this month');
    await page.fill('#post', 'Notes: budgets for AI in small apps; users approve; wallet meters.');
    await page.click('button[value="rewrite"]');
    await page.waitForSelector('#done');
    expect((await page.textContent('#answer'))?.trim().length).toBeGreaterThan(10);

    await page.goto(`${walletUrl}/`);
    const ledger = await store.database.selectFrom('ledger').selectAll().execute();
    expect(ledger).toHaveLength(1);
    const cost = Number(ledger[0]?.cost_micros);
    expect(cost).toBeGreaterThan(0);
    const dashboard = await page.textContent('body');
    expect(dashboard).toContain('gpt-4.1-mini');
    expect(dashboard).toContain(formatMoney(cost));
    await shot(page, 'dashboard');
    // Revoke asks once before it acts.
    await page.click(`[data-grant] form[action$="/revoke"] button`);
    await page.waitForSelector('#confirm-revoke');
    await shot(page, 'revoke-confirmation');
    await page.click('#confirm-revoke button');
    await expect.poll(() => page.textContent('#notice')).toContain('Revoked');

    // The assistant's next request to the gateway (its allowance check) is refused.
    await page.goto(blogUrl);
    await page.waitForSelector('#wallet-message');
    expect(await page.isDisabled('button[value="title"]')).toBe(true);
    expect(await page.textContent('#wallet-message')).toContain('You revoked this app');
    await shot(page, 'refused');
  });
});
