import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type OidcModelsTable, rewriteLegacyOidcModels } from '@allowance/store';
import { ScriptedBrowser } from '@allowance/testing';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcRecordSealing, sealLegacyRow } from './oidc/oidc-record-sealing.js';
import {
  authorize,
  discover,
  exchangeCode,
  REQUESTED_ALLOWANCE,
  tokenOptions,
} from './test-support/app-client.js';
import {
  DEVICE_CLIENT,
  PUBLIC_CLIENT,
  REGISTRATION_TOKEN,
  startTestWallet,
  type TestWallet,
} from './test-support/test-wallet.js';

// Spec SEC-14: a copy of the database files is not a key to the wallet. Every flow that makes
// oidc-provider store something runs against a real server on a real SQLite file; then every
// file beside the database (the file, its -wal and -shm, anything else there) is read as raw
// bytes and searched for every secret the flows issued or used.

const insecure = { [oauth.allowInsecureRequests]: true } as const;
let wallet: TestWallet;
let as: oauth.AuthorizationServer;

/** Every secret seen, by what it is, to search the database files for. */
const secrets = new Map<string, string>();
const remember = (label: string, value: unknown) => {
  if (typeof value === 'string' && value.length > 0) secrets.set(`${label} ${value.slice(0, 6)}…`, value);
};

// oidc-provider announces every record it stores: its id (the token, code, session id …) and,
// where it has one, the uid and user code it is also found by. The Grant is kept under the
// wallet's grant id, an identifier that every access token carries, so it is not searched for.
const STORED_MODELS = [
  'access_token',
  'authorization_code',
  'refresh_token',
  'device_code',
  'session',
  'interaction',
  'pushed_authorization_request',
  'registration_access_token',
  'initial_access_token',
  'client_credentials',
  'replay_detection',
];

async function signedInUser(email: string) {
  const browser = new ScriptedBrowser(wallet.issuer);
  const signIn = await browser.open(`${wallet.issuer}/signin`);
  const home = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  await browser.submit(home, '#add-key', { providerId: 'openai', apiKey: 'sk-test-openai-key-0001' });
  return browser;
}

function rememberCookies(browser: ScriptedBrowser) {
  for (const name of [
    '_session',
    '_interaction',
    '_interaction_resume',
    'allowance.session',
    'allowance.csrf',
  ])
    remember(`the ${name} cookie`, browser.cookie(wallet.issuer, name));
}

/** Where each secret appears in the files, as text or in a common encoding. */
function foundInDatabaseFiles(): string[] {
  const folder = dirname(wallet.databasePath);
  const files = readdirSync(folder).map((name) => join(folder, name));
  const hits: string[] = [];
  for (const file of files) {
    const content = readFileSync(file);
    for (const [label, value] of secrets) {
      const raw = Buffer.from(value, 'utf8');
      for (const [encoding, needle] of [
        ['text', value],
        ['base64url', raw.toString('base64url')],
        ['base64', raw.toString('base64').replace(/=+$/, '')],
        ['hex', raw.toString('hex')],
      ] as const) {
        if (content.includes(Buffer.from(needle, 'utf8'))) hits.push(`${label} (${encoding}) in ${file}`);
      }
    }
  }
  return hits;
}

beforeAll(async () => {
  wallet = await startTestWallet();
  as = await discover(wallet.issuer);
  // Typed by oidc-provider only for the events it lists; these names are built from the models'.
  const events = wallet.server.provider as unknown as {
    on(event: string, listener: (record: { jti?: string; uid?: string; userCode?: string }) => void): void;
  };
  for (const model of STORED_MODELS) {
    events.on(`${model}.saved`, (record: { jti?: string; uid?: string; userCode?: string }) => {
      remember(`the ${model} id`, record.jti);
      remember(`the ${model} uid`, record.uid);
      remember(`the ${model} user code`, record.userCode);
    });
  }
});
afterAll(async () => {
  await wallet.close();
});

describe('a copy of the database files (spec SEC-14)', () => {
  let grantId = '';

  it('runs the code flow with PKCE, then refreshes with rotation', async () => {
    const client: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const redirectUri = PUBLIC_CLIENT.redirect_uris[0] as string;
    const browser = await signedInUser('rest@example.com');
    const { verifier, state, callback } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: (page) => browser.submit(page, '#consent', {}, { name: 'decision', value: 'approve' }),
      },
    );
    if (!callback) throw new Error('the browser never came back to the app');
    remember('the authorization code', callback.searchParams.get('code'));
    rememberCookies(browser);
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    const first = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.None(),
        parameters,
        redirectUri,
        verifier,
        tokenOptions(client),
      ),
    );
    remember('the first access token', first.access_token);
    remember('the first refresh token', first.refresh_token);
    grantId = String(decodeJwt(first.access_token).grant_id);

    const second = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        String(first.refresh_token),
        tokenOptions(client),
      ),
    );
    expect(second.refresh_token).not.toBe(first.refresh_token);
    remember('the second access token', second.access_token);
    remember('the second refresh token', second.refresh_token);
    // The rotated token still works: it was found again by its keyed hash.
    const third = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        String(second.refresh_token),
        tokenOptions(client),
      ),
    );
    remember('the third refresh token', third.refresh_token);
  });

  it('pushes an authorization request (PAR) and opens it by reference', async () => {
    const client: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const browser = await signedInUser('rest-par@example.com');
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(
        as,
        client,
        oauth.None(),
        {
          response_type: 'code',
          redirect_uri: PUBLIC_CLIENT.redirect_uris[0] as string,
          code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
          code_challenge_method: 'S256',
          resource: wallet.gateway,
          authorization_details: JSON.stringify([REQUESTED_ALLOWANCE]),
        },
        insecure,
      ),
    );
    remember('the request_uri', pushed.request_uri);
    remember('the request_uri reference', pushed.request_uri.split(':').at(-1));
    const url = new URL(String(as.authorization_endpoint));
    url.searchParams.set('client_id', client.client_id);
    url.searchParams.set('request_uri', pushed.request_uri);
    const consent = await browser.open(url.href);
    expect(consent.document.querySelector('#consent')).not.toBeNull();
    rememberCookies(browser);
  });

  it('runs the device authorization flow', async () => {
    const browser = await signedInUser('rest-device@example.com');
    const client: oauth.Client = { client_id: DEVICE_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const device = await oauth.processDeviceAuthorizationResponse(
      as,
      client,
      await oauth.deviceAuthorizationRequest(
        as,
        client,
        oauth.None(),
        {
          resource: wallet.gateway,
          authorization_details: JSON.stringify([{ ...REQUESTED_ALLOWANCE, providers: ['openai'] }]),
        },
        insecure,
      ),
    );
    remember('the device code', device.device_code);
    remember('the user code', device.user_code);
    remember('the user code as stored', device.user_code.replace(/[^A-Z0-9]/gi, ''));
    const entry = await browser.open(String(device.verification_uri_complete));
    const confirm = entry.document.querySelector('form') ? await browser.submit(entry, 'form') : entry;
    expect(confirm.document.querySelector('#user-code')?.text).toBe(device.user_code);
    const consent = await browser.submit(confirm, 'form#op\\.deviceConfirmForm');
    const done = await browser.submit(consent, '#consent', {}, { name: 'decision', value: 'approve' });
    expect(done.document.querySelector('#device-done')).not.toBeNull();
    rememberCookies(browser);
    const tokens = await oauth.processDeviceCodeResponse(
      as,
      client,
      await oauth.deviceCodeGrantRequest(as, client, oauth.None(), device.device_code, tokenOptions(client)),
    );
    remember('the device flow access token', tokens.access_token);
    remember('the device flow refresh token', tokens.refresh_token);
  });

  it('registers a confidential client dynamically and reads it back', async () => {
    remember('the initial access token', REGISTRATION_TOKEN);
    const metadata = {
      redirect_uris: ['http://127.0.0.1:5996/callback'],
      client_name: 'Registered Server App',
      token_endpoint_auth_method: 'client_secret_basic',
    };
    const registered = await fetch(String(as.registration_endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${REGISTRATION_TOKEN}` },
      body: JSON.stringify(metadata),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as {
      client_id: string;
      client_secret: string;
      registration_access_token: string;
      registration_client_uri: string;
    };
    remember('the registered client secret', client.client_secret);
    remember('the registration access token', client.registration_access_token);
    const read = await fetch(client.registration_client_uri, {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_name: string }).client_name).toBe('Registered Server App');
  });

  it('keeps a refresh token an older release stored in clear working after the upgrade', async () => {
    const client: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const redirectUri = PUBLIC_CLIENT.redirect_uris[0] as string;
    const browser = await signedInUser('rest-upgrade@example.com');
    const authorized = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: (page) => browser.submit(page, '#consent', {}, { name: 'decision', value: 'approve' }),
      },
    );
    const tokens = await exchangeCode(as, client, redirectUri, authorized);
    const refreshToken = String(tokens.refresh_token);
    remember('the refresh token from before the upgrade', refreshToken);

    // Put the token back as the adapter kept it before migration 0008, where that migration
    // leaves such rows: under its value, with its payload in JSON.
    const records = oidcRecordSealing(wallet.masterKey);
    const storedId = records.index('RefreshToken', 'id', refreshToken);
    const sealed = await wallet.store.database
      .selectFrom('oidc_models')
      .selectAll()
      .where('model', '=', 'RefreshToken')
      .where('id', '=', storedId)
      .executeTakeFirstOrThrow();
    const payload = records.open('RefreshToken', storedId, sealed.payload);
    expect(payload).toMatchObject({ jti: refreshToken, kind: 'RefreshToken' });
    const legacy = wallet.store.database.withTables<{ oidc_models_legacy: OidcModelsTable }>();
    await legacy.schema
      .createTable('oidc_models_legacy')
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('id', 'text', (column) => column.notNull())
      .addColumn('payload', 'text', (column) => column.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('user_code', 'text')
      .addColumn('uid', 'text')
      .addColumn('expires_at', 'bigint')
      .addColumn('consumed_at', 'bigint')
      .execute();
    await legacy
      .insertInto('oidc_models_legacy')
      .values({ ...sealed, id: refreshToken, payload: JSON.stringify(payload) })
      .execute();
    await wallet.store.database.deleteFrom('oidc_models').where('id', '=', storedId).execute();

    // What the authorization server does when it starts on such a database.
    const seconds = Math.floor(Date.now() / 1000);
    expect(
      await rewriteLegacyOidcModels(wallet.store, (row) => sealLegacyRow(records, row, seconds)),
    ).toEqual({
      rewritten: 1,
      dropped: 0,
    });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, tokenOptions(client)),
    );
    expect(refreshed.refresh_token).toBeTypeOf('string');
    remember('the refresh token after the upgrade', refreshed.refresh_token);
  });

  it('holds none of the secrets those flows issued, in any file', () => {
    expect(secrets.size).toBeGreaterThan(20);
    const kinds = [...secrets.keys()].join('\n');
    for (const kind of [
      'authorization_code id',
      'refresh_token id',
      'device_code user code',
      'session id',
      'interaction id',
      'pushed_authorization_request id',
      'registration_access_token id',
    ])
      expect(kinds).toContain(kind);
    // Positive control: the search reads these files, which do hold the grant.
    secrets.set('the grant id (control)', grantId);
    const hits = foundInDatabaseFiles();
    secrets.delete('the grant id (control)');
    expect(hits.some((hit) => hit.startsWith('the grant id (control)'))).toBe(true);
    expect(hits.filter((hit) => !hit.startsWith('the grant id (control)'))).toEqual([]);
  });
});
