import type { ApprovedAiAllowance } from '@allowance/protocol';
import { createGrant, type LedgerEntry, newGrantId } from '@allowance/store';
import { type Page, ScriptedBrowser } from '@allowance/testing';
import type * as oauth from 'oauth4webapi';
import { authorize, discover, exchangeCode } from '../test-support/app-client.js';
import { PUBLIC_CLIENT, type TestWallet } from '../test-support/test-wallet.js';

// Test helpers for the dashboard's tests: a signed-up user with keys, apps connected through the
// real consent flow or recorded directly, and ledger rows and counters written as the gateway
// (another package) would write them.

/** A signed-in user of a test wallet. */
export interface TestUser {
  browser: ScriptedBrowser;
  accountId: string;
  email: string;
}

/** Signs a new user up through the pages and stores an OpenAI and an Anthropic key (ending 0001, 0002 unless told). */
export async function signUpWithKeys(
  wallet: TestWallet,
  email: string,
  keySuffix = '0001',
): Promise<TestUser> {
  const browser = new ScriptedBrowser(wallet.issuer);
  const signIn = await browser.open(`${wallet.issuer}/signin`);
  const home = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  if (home.status !== 200) throw new Error(`sign-up failed with ${home.status}`);
  const withOpenAi = await browser.submit(home, '#add-key', {
    providerId: 'openai',
    apiKey: `sk-test-openai-${keySuffix}`,
  });
  await browser.submit(withOpenAi, '#add-key', { providerId: 'anthropic', apiKey: 'sk-ant-test-key-0002' });
  const account = await wallet.store.database
    .selectFrom('accounts')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return { browser, accountId: account.id, email };
}

/** Connects the public test client through the real consent screen; returns the new grant's id. */
export async function connectThroughConsent(
  wallet: TestWallet,
  user: TestUser,
  fields: Record<string, string | string[] | null> = {},
): Promise<string> {
  const as = await discover(wallet.issuer);
  const redirectUri = PUBLIC_CLIENT.redirect_uris[0] as string;
  const authorized = await authorize(
    user.browser,
    as,
    { client_id: PUBLIC_CLIENT.client_id, redirect_uri: redirectUri },
    {
      resource: wallet.gateway,
      consent: (page) =>
        user.browser.submit(page, '#consent', fields, { name: 'decision', value: 'approve' }),
    },
  );
  if (!authorized.callback?.searchParams.get('code')) throw new Error('consent did not end with a code');
  // The app takes its tokens, as a connected app has (an approval never exchanged is none).
  const client: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
  await exchangeCode(as, client, redirectUri, authorized);
  const grant = await wallet.store.database
    .selectFrom('grants')
    .select('id')
    .where('account_id', '=', user.accountId)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  return grant.id;
}

/** A full allowance: every kind of limit, for the edit tests. */
export function fullAllowance(expiresAt: number): ApprovedAiAllowance {
  return {
    type: 'ai_allowance',
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
    budget: {
      currency: 'USD',
      limits: [
        { amount: '10.00', period: 'month' },
        { amount: '1.00', period: 'day' },
      ],
    },
    tokens: {
      max_input_per_request: 50000,
      max_output_per_request: 4000,
      limits: [{ tokens: 100000, period: 'day' }],
    },
    rate: { requests_per_minute: 60 },
    confirm_above: { amount: '0.50' },
    scopes: ['document:read', 'document:write'],
    retention: 'provider_default',
    expires_at: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/** Records a grant directly, as the consent step would; returns its id. */
export async function recordGrant(
  wallet: TestWallet,
  accountId: string,
  clientId: string,
  details: ApprovedAiAllowance,
): Promise<string> {
  const id = newGrantId();
  const now = Date.now();
  await createGrant(wallet.store, {
    id,
    accountId,
    clientId,
    details,
    remember: false,
    now,
    firstTokenAt: now,
  });
  return id;
}

let calls = 0;

/** Writes one ledger row as the gateway's settle step would; returns it. */
export async function recordCall(
  wallet: TestWallet,
  row: Pick<LedgerEntry, 'grant_id' | 'account_id' | 'client_id' | 'model' | 'started_at'> &
    Partial<LedgerEntry>,
): Promise<LedgerEntry> {
  calls += 1;
  const entry: LedgerEntry = {
    id: `call_${String(calls).padStart(6, '0')}`,
    provider_id: 'openai',
    input_tokens: 100,
    cached_input_tokens: 0,
    cache_write_tokens: 0,
    output_tokens: 50,
    cost_micros: 1000,
    status: 'ok',
    http_status: 200,
    error_code: null,
    latency_ms: 120,
    ended_at: row.started_at + 120,
    endpoint: 'chat.completions',
    stream: 0,
    reserved_micros: 2000,
    reserved_tokens: 150,
    period_keys: '[]',
    first_byte_ms: 40,
    upstream_request_id: null,
    client_address: null,
    ...row,
  };
  await wallet.store.database.insertInto('ledger').values(entry).execute();
  return entry;
}

/** Sets a usage counter as the gateway's reserve and settle steps leave it. */
export async function setCounter(
  wallet: TestWallet,
  counter: {
    subject: string;
    kind: 'money' | 'tokens';
    periodKey: string;
    cap: number;
    spent: number;
    reserved: number;
  },
): Promise<void> {
  await wallet.store.database
    .insertInto('usage_counters')
    .values({
      subject: counter.subject,
      kind: counter.kind,
      period_key: counter.periodKey,
      cap: counter.cap,
      spent: counter.spent,
      reserved: counter.reserved,
    })
    .execute();
}

/** The CSRF token of a page's forms. */
export function csrfOf(page: Page): string {
  return page.document.querySelector('input[name=csrf]')?.getAttribute('value') ?? '';
}

/** A grant row as stored. */
export async function storedGrant(wallet: TestWallet, grantId: string) {
  return wallet.store.database
    .selectFrom('grants')
    .selectAll()
    .where('id', '=', grantId)
    .executeTakeFirstOrThrow();
}
